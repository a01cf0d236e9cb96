"""Material files and videos, served only to people allowed to see the entry, never from a public URL.

Files are streamed from the storage API (local disk or S3 alike) with headers that stop a browser from
treating an upload as a page: a fixed content type, nosniff, and a sandboxing Content-Security-Policy.
"""

import posixpath
import re
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from portal.rules import staff_mfa_satisfied
from submissions.access import get_material_for_user, get_video_for_user
from submissions.models import ThumbnailStatus

# Only raster images open in the browser tab; documents (PDF, DOCX) and anything else are downloads, so no viewer
# with its own scripting (a PDF's JavaScript, forms) ever runs a user's file on the portal's origin.
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp"}
# Content types a stored file may be sent with; any other (text/html, image/svg+xml, a blank one) goes out as
# application/octet-stream, whatever the database says.
SERVED_TYPES = INLINE_TYPES | {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "video/mp4",
}
# Opened on its own, a user's file may not run script, load anything or be framed: sandbox makes it an opaque
# origin, so even a file a browser mistook for HTML could not read the portal's cookies or pages.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox; frame-ancestors 'none'"
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
    return _staff_mfa_redirect_for_entry(request, material.entry)


def serve_file(name, content_type, filename, inline):
    """A stored file as a response with the safe headers above, under `filename` (never the entrant's own name).

    Shared with the judges' file views (judging.views.judge_files); 404 when the file is missing."""
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    if content_type not in SERVED_TYPES:
        content_type = "application/octet-stream"
    inline = inline and content_type in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
def material_file(request, material_id):
    material = get_material_for_user(request.user, material_id)
    if redirect_response := _staff_mfa_redirect(request, material):
        return redirect_response
    return serve_file(
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
    return serve_file(material.thumbnail.name, "image/webp", download_name(material, suffix="-thumbnail"), inline=True)


# ------------------------------------------------------------------------------------------- videos
#
# Previews are streamed with HTTP Range so the browser's player can seek; in production the bytes can come from
# nginx (X-Accel-Redirect to an internal location) or from S3 (a short-lived presigned URL) instead.

RANGE_PATTERN = re.compile(r"^bytes=(\d*)-(\d*)$")
STREAM_CHUNK = 256 * 1024
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def video_download_name(video, what, name):
    entry = video.entry
    stem = entry.number or f"{entry.competition.entry_prefix}-draft{entry.pk}"
    extension = posixpath.splitext(name)[1].lstrip(".").lower()
    return f"{stem}-{video.slot}-{what}.{extension}"


def _video_headers(response, filename=None):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Opened on its own, the preview is a media document that only plays itself.
    response["Content-Security-Policy"] = FILE_CSP
    if filename:
        response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def parse_range(header, size):
    """The (first, last) byte positions one `Range: bytes=...` header asks for, within a file of `size` bytes.

    None means "send the whole file" (no header, a malformed one, or several ranges, which servers may ignore);
    "unsatisfiable" means 416.
    """
    match = RANGE_PATTERN.match((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    first = int(first)
    if last and int(last) < first:
        return None  # invalid, so ignored (RFC 9110, 14.2)
    if first >= size:
        return "unsatisfiable"
    return first, min(int(last) if last else size - 1, size - 1)


def _stream(name, first, length):
    """The bytes first..first+length-1 of a stored file, read in chunks; the file is closed when done or dropped."""
    handle = default_storage.open(name, "rb")
    try:
        if first:
            handle.seek(first)
        left = length
        while left > 0:
            chunk = handle.read(min(STREAM_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _etag(video):
    return f'"v{video.pk}-{video.preview_size or 0}-{posixpath.basename(video.preview.name)}"'


def _serve_range(request, video, name, filename):
    try:
        size = default_storage.size(name)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    etag = _etag(video)
    wanted = parse_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if if_range and if_range.strip() != etag:
        wanted = None  # the file changed since the client's first part: send it whole
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return _video_headers(response)
    first, last = wanted if wanted else (0, size - 1)
    length = max(0, last - first + 1)
    if request.method == "HEAD":
        response = HttpResponse(status=206 if wanted else 200, content_type="video/mp4")
    else:
        response = StreamingHttpResponse(
            _stream(name, first, length), status=206 if wanted else 200, content_type="video/mp4"
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return _video_headers(response, filename)


def _staff_mfa_redirect_for_entry(request, entry):
    if request.user.has_perm("submissions.edit_entry", entry) or staff_mfa_satisfied(request.user):
        return None
    return redirect("mfa_activate_totp")


@login_required
@require_safe
def video_preview(request, video_id):
    video = get_video_for_user(request.user, video_id)
    if redirect_response := _staff_mfa_redirect_for_entry(request, video.entry):
        return redirect_response
    name = video.preview.name
    if not name:
        raise Http404  # not made yet (a retried video keeps playing its earlier preview meanwhile)
    return serve_video_range(request, video, name, video_download_name(video, "preview", name))


def serve_video_range(request, video, name, filename):
    """Play the stored preview `name` of `video` under `filename`: Range from Django, or the configured hand-off
    to nginx or S3 (PLAYBACK_BACKEND). Shared with the judges' player (judging.views.judge_files)."""
    backend = settings.PLAYBACK_BACKEND
    if backend == "nginx":
        # nginx serves the bytes (Range included) from an internal location that aliases MEDIA_ROOT.
        response = HttpResponse(content_type="video/mp4")
        response["X-Accel-Redirect"] = settings.PLAYBACK_X_ACCEL_PREFIX.rstrip("/") + "/" + quote(name)
        response["Accept-Ranges"] = "bytes"
        return _video_headers(response, filename)
    if backend == "s3":
        # A presigned URL that expires soon (S3_URL_EXPIRE_SECONDS): the redirect itself must not be cached longer.
        # S3 answers with the type and disposition asked for here, not with whatever the object was stored as.
        parameters = {
            "ResponseContentType": "video/mp4",
            "ResponseContentDisposition": content_disposition_header(False, filename),
        }
        response = HttpResponseRedirect(default_storage.url(name, parameters=parameters))
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = FILE_CSP
        return response
    return _serve_range(request, video, name, filename)


def _serve_video_image(request, video_id, field):
    video = get_video_for_user(request.user, video_id)
    if redirect_response := _staff_mfa_redirect_for_entry(request, video.entry):
        return redirect_response
    name = getattr(video, field).name
    extension = posixpath.splitext(name)[1].lstrip(".").lower()
    if extension not in IMAGE_TYPES:
        raise Http404
    return serve_file(name, IMAGE_TYPES[extension], video_download_name(video, field, name), inline=True)


@login_required
@require_safe
def video_poster(request, video_id):
    return _serve_video_image(request, video_id, "poster")


@login_required
@require_safe
def video_thumbnails(request, video_id):
    return _serve_video_image(request, video_id, "thumbnails")
