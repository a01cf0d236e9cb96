"""Video pages: the entrant's slots (a live htmx partial, removal) and the organizer's list of every video.

Uploads themselves go to the tus endpoint (views/tus.py) from submissions/static/submissions/js/video-upload.js;
processing is the media pipeline's. These views only show where each video is and what its checks found.
"""

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from portal.access import get_competition_for_organizer, staff_page
from portal.models import MaterialKind
from submissions import services, videos
from submissions.access import get_entry_for_entrant
from submissions.models import PROCESSING_STATUSES, QCLevel, VideoFile, VideoStatus

POLL_SECONDS = 3
PAGE_SIZE = 50
# The stages a video goes through, in order, as the entrant sees them.
STAGES = [
    VideoStatus.UPLOADED, VideoStatus.PROBING, VideoStatus.CHECKING, VideoStatus.THUMBNAILS, VideoStatus.TRANSCODING,
    VideoStatus.READY,
]


# ------------------------------------------------------------------------------------------- how a video is shown


def format_duration(seconds):
    """83.4 -> "1:23", 3723 -> "1:02:03"."""
    if seconds in (None, ""):
        return ""
    try:
        total = int(round(float(seconds)))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _probe_facts(probe):
    """What PyAV read, as short facts: duration, picture size as displayed, codecs."""
    probe = probe if isinstance(probe, dict) else {}
    width = probe.get("display_width") or probe.get("width")
    height = probe.get("display_height") or probe.get("height")
    return {
        "duration": format_duration(probe.get("duration")),
        "resolution": f"{width}×{height}" if width and height else "",
        "video_codec": str(probe.get("video_codec") or ""),
        "audio_codec": str(probe.get("audio_codec") or ""),
    }


def qc_report(video):
    """The technical checks, worst first, each as a plain-language sentence in the current language."""
    from submissions import qc

    return [{"level": check["level"], "rule": check["rule"], "text": text} for check, text in qc.report(video)]


def stage_steps(video):
    """The pipeline's stages with what is done, running and to come, for the little stage meter."""
    if video.status == VideoStatus.FAILED:
        return []
    current = STAGES.index(video.status) if video.status in STAGES else 0
    return [
        {"label": stage.label, "state": "done" if index < current or stage == VideoStatus.READY and index == current
         else "current" if index == current else "todo"}
        for index, stage in enumerate(STAGES)
    ]


def is_stalled(video, now):
    if not video.is_processing:
        return False
    started = video.stage_started_at
    return started is None or started < now - timedelta(minutes=settings.VIDEO_STALL_MINUTES)


def describe_video(video, now=None):
    """A VideoFile with what every page shows of it: its label, stage, checks and playback addresses."""
    now = now or timezone.now()
    video.label = videos.slot_label(video.slot)
    video.processing = video.is_processing
    video.stalled = is_stalled(video, now)
    video.stages = stage_steps(video)
    video.qc = qc_report(video) if video.qc_checks else []
    video.qc_counts = {
        str(level): sum(1 for line in video.qc if line["level"] == level) for level in QCLevel
    }
    video.problem = videos.slot_problem(video)
    video.facts = _probe_facts(video.probe)
    video.playable = bool(video.preview.name)
    video.preview_url = reverse("submissions:video_preview", args=[video.pk]) if video.playable else ""
    video.poster_url = reverse("submissions:video_poster", args=[video.pk]) if video.poster.name else ""
    video.thumbnails_url = reverse("submissions:video_thumbnails", args=[video.pk]) if video.thumbnails.name else ""
    return video


class VideoList(list):
    @property
    def first_playable(self):
        return next((video for video in self if video.playable), None)

    @property
    def any_processing(self):
        return any(video.processing for video in self)


def entry_videos(entry, now=None):
    """An entry's videos in slot order (trailer, full-length version, episodes), ready to show."""
    return VideoList(describe_video(video, now) for video in _ordered(entry.videos.all()))


def _ordered(queryset):
    order = {"trailer": 0, "full": 1}
    return sorted(queryset, key=lambda video: (order.get(video.slot, 2), video.episode or 0, video.slot))


# ------------------------------------------------------------------------------------------- the entrant's slots


def _slot(entry, slot, video, *, required, lock):
    return {
        "slot": slot,
        "label": videos.slot_label(slot),
        "required": required,
        "video": video,
        # An episode beyond the declared number can still be removed, but not uploaded again.
        "can_upload": lock is None and videos.slot_allowed(entry, slot),
        "dom_id": f"video-slot-{slot}",
    }


def slot_groups(entry, entry_videos_, lock):
    """The slots of a finished work, in three groups: episodes 1..N, the trailer, the full-length version."""
    by_slot = {video.slot: video for video in entry_videos_}
    required = set(entry.track.required_materials)
    count = min(entry.episode_count or 0, videos.MAX_EPISODES)
    episode_slots = [f"episode-{number}" for number in range(1, count + 1)]
    # Episodes uploaded before the number of episodes was lowered: shown so they can be removed.
    extra = sorted(
        (video for video in entry_videos_ if video.episode and video.episode > count), key=lambda video: video.episode
    )
    episodes_required = MaterialKind.EPISODES in required
    return [
        {
            "key": "episodes",
            "title": gettext_lazy("Episodes"),
            "required": episodes_required,
            "count": count,
            "slots": [
                _slot(entry, slot, by_slot.get(slot), required=episodes_required, lock=lock) for slot in episode_slots
            ]
            + [_slot(entry, video.slot, video, required=False, lock=lock) | {"extra": True} for video in extra],
        },
        {
            "key": "trailer",
            "title": gettext_lazy("Trailer"),
            "required": MaterialKind.TRAILER in required,
            "slots": [_slot(entry, "trailer", by_slot.get("trailer"), required=MaterialKind.TRAILER in required,
                            lock=lock)],
        },
        {
            "key": "full",
            "title": gettext_lazy("Full-length version"),
            "required": False,
            "slots": [_slot(entry, "full", by_slot.get("full"), required=False, lock=lock)],
        },
    ]


def slots_context(entry, now=None, lock=None, notices=None):
    """Everything the slot list (the step page and its live partial) needs, in a fixed number of queries."""
    now = now or timezone.now()
    described = entry_videos(entry, now)
    missing = [
        label
        for code in entry.track.required_materials if code in services.VIDEO_KINDS
        for label in videos.missing_videos(entry, code, described)
    ]
    return {
        "entry": entry,
        "groups": slot_groups(entry, described, lock),
        "videos": described,
        "video_missing": missing,
        "processing": any(video.processing for video in described),
        "poll_seconds": POLL_SECONDS,
        "lock_reason": lock,
        "notices": notices or [],
        "status_url": reverse("submissions:video_status", args=[entry.pk]),
    }


def upload_messages():
    """Every sentence video-upload.js may show; {name}-style fields are filled in by the script."""
    limit = filesizeformat(settings.TUS_MAX_SIZE)
    return {
        # Translators: {name} and {size} are filled in by the browser; keep them as they are.
        "too-large": _("“{name}” is {size}; a video may be at most %(limit)s.") % {"limit": limit},
        "empty": _("“{name}” is empty."),
        "not-video": _("“{name}” is not a video file."),
        "busy": _("A video is already being uploaded into this slot. Cancel it first to choose another file."),
        "queued": _("Waiting for the other uploads to finish…"),
        "starting": _("Starting…"),
        "resuming": _("Continuing where the earlier upload stopped…"),
        "progress": _("{done} of {total}"),
        "speed": _("{speed}/s, about {minutes} min left"),
        "paused": _("Paused at {done} of {total}."),
        "retrying": _("The connection dropped; trying again…"),
        "offline": _("You are offline. The upload continues by itself when the connection is back."),
        "stopped": _("The upload stopped because the connection failed. Press Resume to continue where it stopped."),
        "done": _("Upload complete. The video is now being checked."),
        "failed": _("The upload of “{name}” failed: {reason}"),
        "error-generic": _("The server refused the upload."),
        "error-forbidden": _("You may not upload to this entry now. Reload the page to see why."),
        "error-session": _("Your session has expired. Sign in again in another tab, then press Resume."),
        "cancelled": _("The upload was cancelled."),
        "resume-hint": _("An upload of “{name}” stopped at {percent}. Choose the same file again to continue where it "
                         "stopped."),
        "overall": _("All uploads: {done} of {total}"),
        "overall-done": _("All uploads are complete."),
        "bulk-none": _("No file here could be matched to an episode."),
        "bulk-matched": _("Matched to episodes by their names: {count}."),
        "bulk-unmatched": _("No episode number was found in “{name}”; drop it on its episode below."),
        "bulk-no-slot": _("“{name}” looks like episode {number}, which has no slot here."),
        "bulk-duplicate": _("Two files look like episode {number}; “{name}” was left out."),
        "leave": _("Uploads are still running. Leave the page anyway?"),
    }


def upload_config():
    """What video-upload.js needs, rendered into data- attributes (it holds no text of its own)."""
    return {
        "endpoint": reverse("submissions:tus_create"),
        "max_size": settings.TUS_MAX_SIZE,
        # Bytes per PATCH: small enough for proxies' body limits and for little to be sent again after a cut.
        "chunk_size": getattr(settings, "TUS_CLIENT_CHUNK_SIZE", 16 * 1024 * 1024),
        "messages": upload_messages(),
    }


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def entrant_partial(view):
    """login_required, except that htmx, whose requests follow redirects, is told to reload the page instead of
    swapping the sign-in page into the list when the session has ended."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and _is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return protected(request, *args, **kwargs)

    return wrapper


@entrant_partial
@require_safe
def video_status(request, entry_id):
    """The slot list alone, for htmx: polled every few seconds while a video is being processed."""
    entry = get_entry_for_entrant(request.user, entry_id)
    now = timezone.now()
    context = slots_context(entry, now, lock=services.lock_reason(entry, now))
    with timezone.override(entry.competition.tzinfo):
        response = render(request, "submissions/entrant/_video_slots.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@entrant_partial
@require_POST
def video_delete(request, entry_id, video_id):
    entry = get_entry_for_entrant(request.user, entry_id)
    video = get_object_or_404(VideoFile, entry=entry, pk=video_id)
    label = videos.slot_label(video.slot)
    try:
        with transaction.atomic():
            services.ensure_editable(entry)
            videos.delete_video(video=video, actor=request.user)
    except services.EntryError as error:
        level, text = messages.ERROR, error.message
    else:
        level, text = messages.SUCCESS, _("The video of %(slot)s has been removed.") % {"slot": label}
    if _is_htmx(request):
        now = timezone.now()
        notice = {"level": "success" if level == messages.SUCCESS else "error", "text": text}
        context = slots_context(entry, now, lock=services.lock_reason(entry, now), notices=[notice])
        with timezone.override(entry.competition.tzinfo):
            return render(request, "submissions/entrant/_video_slots.html", context)
    messages.add_message(request, level, text)
    return redirect(reverse("submissions:entry_step", args=[entry.pk, "videos"]) + f"#video-slot-{video.slot}")


# ------------------------------------------------------------------------------------------- organizers

FILTERS = {
    "processing": gettext_lazy("Processing"),
    "stalled": gettext_lazy("Stalled"),
    "failed": gettext_lazy("Failed"),
    "qc_fail": gettext_lazy("Failed checks"),
}


def _filter_conditions(now):
    cutoff = now - timedelta(minutes=settings.VIDEO_STALL_MINUTES)
    processing = Q(status__in=PROCESSING_STATUSES)
    return {
        "processing": processing,
        "stalled": processing & (Q(stage_started_at__lt=cutoff) | Q(stage_started_at__isnull=True)),
        "failed": Q(status=VideoStatus.FAILED),
        # Processed, and a check found a blocking problem (a file that could not be processed is under "failed").
        "qc_fail": Q(qc_level=QCLevel.FAIL) & ~Q(status=VideoStatus.FAILED),
    }


@staff_page
@require_safe
def organizer_videos(request, slug):
    competition = get_competition_for_organizer(request.user, slug)
    now = timezone.now()
    conditions = _filter_conditions(now)
    show = request.GET.get("show", "")
    if show not in FILTERS:
        show = ""
    all_videos = VideoFile.objects.filter(entry__competition=competition)
    counts = all_videos.aggregate(
        all=Count("pk"), **{key: Count("pk", filter=condition) for key, condition in conditions.items()}
    )
    shown = all_videos.filter(conditions[show]) if show else all_videos
    order = ("stage_started_at", "pk") if show in ("processing", "stalled") else ("entry_id", "episode", "slot")
    shown = shown.select_related("entry__track", "entry__unit", "entry__competition").order_by(*order)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [describe_video(video, now) for video in page.object_list]
    links = [{"value": "", "label": _("All"), "count": counts["all"], "current": not show}] + [
        {"value": key, "label": label, "count": counts[key], "current": show == key} for key, label in FILTERS.items()
    ]
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "submissions/organizer/videos.html",
            {
                "competition": competition,
                "page": page,
                "rows": rows,
                "any_processing": any(video.processing for video in rows),
                "filter_links": links,
                "show": show,
                "stall_minutes": settings.VIDEO_STALL_MINUTES,
                "next": request.get_full_path(),
            },
        )


def can_retry(video, now):
    """Organizers may restart a video that could not be processed, or one stuck in a stage."""
    return video.status == VideoStatus.FAILED or is_stalled(video, now)


@transaction.atomic
def retry_video(video):
    """Start the pipeline again with a fresh count of attempts; stages whose output exists skip.

    A failed video also loses its verdict (the failure is one of its checks) and, if the file could not be read,
    its probe, so those stages run again; its poster and preview, if made, are kept.
    """
    fields = {"status": VideoStatus.UPLOADED, "attempts": 0, "error": "", "stage_started_at": timezone.now()}
    if video.status == VideoStatus.FAILED:
        fields.update(qc_checks=[], qc_level="")
        if not video.probe.get("ok"):
            fields["probe"] = {}
    VideoFile.objects.filter(pk=video.pk).update(**fields)
    transaction.on_commit(lambda: videos.start_pipeline(video.pk))


@staff_page
@require_POST
def organizer_video_retry(request, slug, video_id):
    competition = get_competition_for_organizer(request.user, slug)
    video = get_object_or_404(VideoFile.objects.select_related("entry"), pk=video_id, entry__competition=competition)
    label = videos.slot_label(video.slot)
    entry_name = video.entry.number or video.entry.title
    if can_retry(video, timezone.now()):
        retry_video(video)
        messages.success(
            request, _("%(entry)s, %(slot)s: processing has started again.") % {"entry": entry_name, "slot": label}
        )
    elif video.is_processing:
        messages.info(
            request,
            _("%(entry)s, %(slot)s is still being processed; it can be restarted if it stalls.")
            % {"entry": entry_name, "slot": label},
        )
    else:
        messages.info(
            request, _("%(entry)s, %(slot)s has been processed already.") % {"entry": entry_name, "slot": label}
        )
    target = request.POST.get("next", "")
    prefix = f"/console/c/{competition.slug}/"
    if not (target.startswith(prefix) and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        target = reverse("submissions:organizer_videos", args=[competition.slug])
    return redirect(target)
