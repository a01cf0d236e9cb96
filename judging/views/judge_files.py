"""An assigned entry's files for its judge: posters, stills, the script (a redacted copy), video previews and
their posters, and the player's record of what was watched.

Each view finds the assignment through judging.access.get_assignment_for_judge (404 for anyone else, conflicted
judges included), then the file must belong to that entry and be of a kind judges see. Files go out under names
the portal makes (LCP2026-0007-script.pdf, LCP2026-0007-episode-3-preview.mp4), never the entrant's own.
"""

import json
import logging
import math
import posixpath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from judging import scoring
from judging.access import get_assignment_for_judge
from portal.access import staff_page
from portal.models import MaterialKind
from submissions.models import Material, ThumbnailStatus, VideoFile, VideoStatus
from submissions.redact import DOCX_TYPE, PDF_TYPE, RedactionError, redact_document, redacted_name
from submissions.views.files import (
    IMAGE_TYPES,
    INLINE_TYPES,
    download_name,
    serve_file,
    serve_video_range,
    video_download_name,
)

logger = logging.getLogger(__name__)

# What a judge may open of an entry's files; never the signed entry form or the rights letter.
JUDGE_MATERIAL_KINDS = (
    MaterialKind.POSTER_VERTICAL,
    MaterialKind.POSTER_HORIZONTAL,
    MaterialKind.STILLS,
    MaterialKind.SCRIPT,
)
# Documents are only ever served from a copy without their metadata (author, company, comment authors).
REDACTED_TYPES = {PDF_TYPE, DOCX_TYPE}
# A played interval longer than this is not a real report (an episode runs at most a few hours).
MAX_SECONDS = 24 * 3600


def _material(user, round_id, entry_id, material_id):
    assignment = get_assignment_for_judge(user, round_id, entry_id)
    return get_object_or_404(
        Material.objects.select_related("entry__competition"),
        pk=material_id,
        entry=assignment.entry,
        kind__in=JUDGE_MATERIAL_KINDS,
    )


def _video(user, round_id, entry_id, video_id):
    assignment = get_assignment_for_judge(user, round_id, entry_id)
    video = get_object_or_404(
        VideoFile.objects.select_related("entry__competition"),
        pk=video_id,
        entry=assignment.entry,
        status=VideoStatus.READY,
    )
    return assignment, video


def redacted_copy(material):
    """The storage name of the material's redacted copy, made on first use. 404 (logged) if it cannot be made:
    the original is never served instead."""
    target = redacted_name(material.file.name)
    if default_storage.exists(target):
        return target
    try:
        with default_storage.open(material.file.name, "rb") as handle:
            original = handle.read()
    except (FileNotFoundError, OSError):
        raise Http404 from None
    try:
        redacted = redact_document(original, material.content_type)
    except RedactionError as error:
        logger.error("Material %s (%s) could not be redacted for judges: %s", material.pk, material.content_type, error)
        raise Http404 from None
    if default_storage.exists(target):  # a parallel request made it meanwhile
        return target
    return default_storage.save(target, ContentFile(redacted))


@staff_page
@require_safe
def material(request, round_id, entry_id, material_id):
    material = _material(request.user, round_id, entry_id, material_id)
    if material.kind == "script" or material.content_type in REDACTED_TYPES:
        name = redacted_copy(material)
    elif material.is_image:
        name = material.file.name  # images were re-encoded without EXIF when uploaded
    else:
        raise Http404
    return serve_file(
        name, material.content_type, download_name(material), inline=material.content_type in INLINE_TYPES
    )


@staff_page
@require_safe
def material_thumbnail(request, round_id, entry_id, material_id):
    material = _material(request.user, round_id, entry_id, material_id)
    if material.thumbnail_status != ThumbnailStatus.READY:
        raise Http404
    return serve_file(material.thumbnail.name, "image/webp", download_name(material, suffix="-thumbnail"), inline=True)


@staff_page
@require_safe
def video_preview(request, round_id, entry_id, video_id):
    _assignment, video = _video(request.user, round_id, entry_id, video_id)
    name = video.preview.name
    if not name:
        raise Http404
    return serve_video_range(request, video, name, video_download_name(video, "preview", name))


@staff_page
@require_safe
def video_poster(request, round_id, entry_id, video_id):
    _assignment, video = _video(request.user, round_id, entry_id, video_id)
    name = video.poster.name
    extension = posixpath.splitext(name)[1].lstrip(".").lower()
    if extension not in IMAGE_TYPES:
        raise Http404
    return serve_file(name, IMAGE_TYPES[extension], video_download_name(video, "poster", name), inline=True)


def _seconds(raw):
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_SECONDS:
        return None
    return value


def _watch_data(request):
    """start and end from a JSON body (fetch) or form fields (sendBeacon's FormData)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    return request.POST


@staff_page
@require_POST
def watch(request, round_id, entry_id, video_id):
    """Record one played interval; answers 200 with {"share": 0..1}, the judge's watched share of the video."""
    _assignment, video = _video(request.user, round_id, entry_id, video_id)
    data = _watch_data(request)
    start = _seconds(data.get("start")) if data is not None else None
    end = _seconds(data.get("end")) if data is not None else None
    if start is None or end is None:
        return JsonResponse({"error": _("start and end must be numbers of seconds.")}, status=400)
    if end < start:
        return JsonResponse({"error": _("The end of a played interval cannot come before its start.")}, status=400)
    progress = scoring.record_watch(judge=request.user, video=video, start=start, end=end)
    response = JsonResponse({"share": round(progress.share, 4)})
    response["Cache-Control"] = "no-store"
    return response
