"""Objections to a published result during its public notice: lodging one (signed in, against a listed entry,
with optional evidence) and the evidence file for its author or the competition's organizers."""

import posixpath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from judging import objections as objection_services
from judging import public as access
from judging.models import Objection
from judging.objection_forms import ObjectionForm
from judging.views.public import _render
from portal.rules import staff_mfa_satisfied
from submissions.views.files import SAFE_EXTENSIONS, serve_file

TEXT_ERROR_CODES = {"text", "long"}
GENERAL_ERROR_CODES = {"sign_in", "not_public", "notice_over", "entry"}


def _add_errors(form, error):
    """lodge_objection's ValidationError on the form: about the text next to the text, about the file next to
    the file, about the notice or the entry at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    has_evidence = bool(form.cleaned_data.get("evidence"))
    for item in error.error_list:
        if item.code in TEXT_ERROR_CODES:
            form.add_error("text", item)
        elif item.code not in GENERAL_ERROR_CODES and has_evidence:
            form.add_error("evidence", item)
        else:
            form.add_error(None, item)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def objection_create(request, slug, version_id, number):
    competition = access.get_public_competition(slug)
    version = access.get_current_version(competition, version_id)
    entry = access.entry_in_version(version, number)
    if request.method == "POST":
        form = ObjectionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                objection_services.lodge_objection(
                    version=version,
                    entry=entry,
                    author=request.user,
                    text=form.cleaned_data["text"],
                    evidence=form.cleaned_data["evidence"] or None,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Your objection to %(number)s has been lodged. The organizers will answer it; you can follow "
                        "it below."
                    )
                    % {"number": entry.number},
                )
                return redirect(reverse("judging:results", args=[competition.slug]) + "#my-objections")
    else:
        form = ObjectionForm()
    context = {
        "version": version,
        "entry": entry,
        "form": form,
        "in_notice": version.in_notice(),
    }
    response = _render(request, competition, "judging/public/objection_form.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def objection_evidence(request, objection_id):
    """An objection's evidence file for its author or an organizer of the competition; 404 for anyone else."""
    objection = get_object_or_404(
        Objection.objects.select_related("version__round__competition", "entry"), pk=objection_id
    )
    competition = objection.version.round.competition
    is_author = objection.author_id == request.user.pk
    if not is_author:
        if not request.user.has_perm("portal.manage_competition", competition):
            raise Http404
        if not staff_mfa_satisfied(request.user):
            return redirect("mfa_activate_totp")
    if not objection.evidence.name:
        raise Http404
    extension = posixpath.splitext(objection.evidence.name)[1].lstrip(".").lower()
    extension = extension if extension in SAFE_EXTENSIONS else "bin"
    filename = f"objection-{objection.pk}-evidence.{extension}"
    content_type = objection.evidence_type or "application/octet-stream"
    response = serve_file(objection.evidence.name, content_type, filename, inline=False)
    response["Cache-Control"] = "private, no-store"
    return response
