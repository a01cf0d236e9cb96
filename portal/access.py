"""Access to the competition frame, in one place: every view gets competitions through these helpers."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.models import Competition
from portal.rules import staff_mfa_satisfied

AFTER_MFA_SESSION_KEY = "portal_after_mfa"


def get_competition_for_user(user, slug) -> Competition:
    """A competition the user may see: public ones, and drafts for their organizers. Otherwise 404."""
    competition = get_object_or_404(Competition, slug=slug)
    if not user.has_perm("portal.view_competition", competition):
        raise Http404
    return competition


def get_competition_for_organizer(user, slug) -> Competition:
    """A competition the user organizes. Everyone else gets 404: they need not know it exists."""
    competition = get_object_or_404(Competition, slug=slug)
    if not user.has_perm("portal.manage_competition", competition):
        raise Http404
    return competition


def staff_page(view):
    """For judge and organizer pages: sign-in, a staff role (else 404) and, unless turned off, MFA."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
        if not request.user.has_perm("portal.use_staff_pages"):
            raise Http404
        if not staff_mfa_satisfied(request.user):
            messages.warning(
                request,
                _("Judge and organizer pages need two-factor authentication. Set up an authenticator app to go on."),
            )
            # Remembered so that activating the authenticator leads back here (portal.views.account).
            request.session[AFTER_MFA_SESSION_KEY] = request.get_full_path()
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapper
