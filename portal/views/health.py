"""A liveness answer for load balancers, and the baseline the benchmark compares real pages against."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request):
    # No database, no template, no session: it measures what the server and middleware cost on their own.
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
