"""Material files, served only to people allowed to see the entry, never from a public URL.

Files are streamed from the storage API (local disk or S3 alike) with headers that stop a browser from
treating an upload as a page: a fixed content type, nosniff, and a sandboxing Content-Security-Policy.
"""

import posixpath

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect

from portal.rules import staff_mfa_satisfied
from submissions.access import get_material_for_user
from submissions.models import ThumbnailStatus

INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
SAFE_EXTENSIONS = {"jpg", "png", "webp", "pdf", "docx"}


def download_name(material, suffix=""):
    """A name made by the portal, e.g. LCP2026-0007-poster_vertical.jpg; never the entrant's own file name."""
    entry = material.entry
    stem = entry.number or f"{entry.competition.entry_prefix}-draft{entry.pk}"
    kind = material.kind if material.kind != "stills" else f"stills-{material.pk}"
    source = material.thumbnail.name if suffix else material.file.name
    extension = posixpath.splitext(source)[1].lstrip(".").lower()
    extension = extension if extension in SAFE_EXTENSIONS else "bin"
    return f"{stem}-{kind}{suffix}.{extension}"


def _staff_mfa_redirect(request, material):
    """Organizers reach files as staff, so the staff-page MFA rule applies to them; entrants see their own files."""
    if request.user.has_perm("submissions.edit_entry", material.entry) or staff_mfa_satisfied(request.user):
        return None
    return redirect("mfa_activate_totp")


def _serve(name, content_type, filename, inline):
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    # Images and documents never run script on this origin. PDFs are not sandboxed because Chromium's PDF
    # viewer refuses sandboxed documents; the viewer runs outside the page's origin anyway.
    sandbox = "" if content_type == "application/pdf" else "; sandbox"
    response["Content-Security-Policy"] = f"default-src 'none'{sandbox}"
    response["Cache-Control"] = "private, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
def material_file(request, material_id):
    material = get_material_for_user(request.user, material_id)
    if redirect_response := _staff_mfa_redirect(request, material):
        return redirect_response
    return _serve(
        material.file.name,
        material.content_type,
        download_name(material),
        inline=material.content_type in INLINE_TYPES,
    )


@login_required
def material_thumbnail(request, material_id):
    material = get_material_for_user(request.user, material_id)
    if redirect_response := _staff_mfa_redirect(request, material):
        return redirect_response
    if material.thumbnail_status != ThumbnailStatus.READY:
        raise Http404
    return _serve(material.thumbnail.name, "image/webp", download_name(material, suffix="-thumbnail"), inline=True)


# Placeholders until video playback lands in this session.
def _video_todo(*args, **kwargs):
    raise Http404


video_preview = video_poster = video_thumbnails = _video_todo
