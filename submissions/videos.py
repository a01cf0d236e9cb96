"""Video slots of an entry: which exist, how a finished upload becomes a VideoFile, what counts as filled.

The tus endpoint (submissions/tus.py) calls `register_video` when the last byte has arrived; the media pipeline
(submissions/pipeline.py) then probes, checks, illustrates and transcodes it on the "media" queue.
"""

import os
import re
import shutil

from celery import chain
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import MaterialKind
from submissions.materials import clean_filename, random_name
from submissions.models import PROCESSING_STATUSES, Entry, QCLevel, VideoFile, VideoStatus

SLOT_PATTERN = re.compile(r"^(?:episode-(?P<episode>[1-9][0-9]{0,2})|trailer|full)$")
MAX_EPISODES = 200


def parse_slot(slot):
    """(kind, episode number) for a slot name, or ValueError: `episode-3` -> ("episode", 3)."""
    match = SLOT_PATTERN.match(slot or "")
    if not match:
        raise ValueError(slot)
    if match.group("episode"):
        return "episode", int(match.group("episode"))
    return slot, None


def slot_allowed(entry, slot):
    """Finished works take a trailer, a full-length file and episodes 1..N (N = the declared count, or up to 200)."""
    try:
        kind, episode = parse_slot(slot)
    except ValueError:
        return False
    if entry.track.kind != "work":
        return False
    if kind == "episode":
        return episode <= min(entry.episode_count or MAX_EPISODES, MAX_EPISODES)
    return True


def slot_label(slot):
    kind, episode = parse_slot(slot)
    if kind == "episode":
        return _("Episode %(number)s") % {"number": episode}
    return _("Trailer") if kind == "trailer" else _("Full-length version")


def video_bytes_used(entry, exclude_slot=None):
    videos = VideoFile.objects.filter(entry=entry)
    if exclude_slot:
        videos = videos.exclude(slot=exclude_slot)
    return videos.aggregate(total=Sum("size"))["total"] or 0


def quota_left(entry, slot):
    """Bytes the entry may still upload into `slot` (a replaced video's size is given back)."""
    return max(0, settings.ENTRY_VIDEO_QUOTA_BYTES - video_bytes_used(entry, exclude_slot=slot))


def _move_into_storage(source_path, extension):
    """Move a staged file into storage: a rename on the same local disk, otherwise a streamed copy."""
    name = random_name("videos", extension)
    if isinstance(default_storage, FileSystemStorage):
        name = default_storage.get_available_name(name)
        target = default_storage.path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.replace(source_path, target)
        except OSError:  # another filesystem: copy in chunks, then remove
            shutil.move(source_path, target)
        os.chmod(target, settings.FILE_UPLOAD_PERMISSIONS or 0o640)
        return name
    with open(source_path, "rb") as handle:
        name = default_storage.save(name, File(handle))
    os.remove(source_path)
    return name


def _extension(filename):
    extension = os.path.splitext(filename or "")[1].lstrip(".").lower()
    return extension if re.fullmatch(r"[a-z0-9]{1,5}", extension) else "bin"


@transaction.atomic
def register_video(*, entry, slot, source_path, original_name, size, actor) -> VideoFile:
    """Turn a completely staged upload into the slot's VideoFile, replacing any earlier one, and queue processing.

    The caller has checked access, the lock and the quota when the upload was created.
    """
    kind, episode = parse_slot(slot)
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    name = _move_into_storage(source_path, _extension(original_name))
    try:
        previous = VideoFile.objects.filter(entry=entry, slot=slot).first()
        if previous is not None:
            old_names = [previous.file.name, previous.poster.name, previous.thumbnails.name, previous.preview.name]
            previous.delete()
            transaction.on_commit(lambda: [default_storage.delete(n) for n in old_names if n])
        video = VideoFile.objects.create(
            entry=entry,
            slot=slot,
            episode=episode,
            file=name,
            original_name=clean_filename(original_name),
            size=size,
            uploaded_by=actor,
            stage_started_at=timezone.now(),
        )
    except Exception:
        default_storage.delete(name)
        raise
    transaction.on_commit(lambda: start_pipeline(video.pk))
    return video


def start_pipeline(video_id):
    """Queue the whole chain for a video; each stage skips work that an earlier delivery already finished."""
    from submissions import tasks

    chain(
        tasks.video_probe.si(video_id),
        tasks.video_check.si(video_id),
        tasks.video_thumbnails.si(video_id),
        tasks.video_preview.si(video_id),
    ).delay()


@transaction.atomic
def delete_video(*, video, actor) -> None:
    names = [video.file.name, video.poster.name, video.thumbnails.name, video.preview.name]
    video.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names if n])


def slot_problem(video):
    """Why a video does not (yet) fill its slot for submission, or None. Processing still running is no bar."""
    if video.status == VideoStatus.FAILED:
        return _("could not be processed")
    if video.qc_level == QCLevel.FAIL:
        return _("failed the technical checks")
    return None


def missing_videos(entry, code, videos):
    """Labels of what `code` (trailer or episodes) still lacks, given the entry's videos."""
    by_slot = {video.slot: video for video in videos}
    if code == MaterialKind.TRAILER:
        video = by_slot.get("trailer")
        return [] if video and not slot_problem(video) else [_("Trailer")]
    full = by_slot.get("full")
    if full and not slot_problem(full):
        return []
    count = entry.episode_count or 0
    if count == 0:
        return [_("Episodes (give the number of episodes first)")]
    numbers = [
        number
        for number in range(1, min(count, MAX_EPISODES) + 1)
        if (video := by_slot.get(f"episode-{number}")) is None or slot_problem(video)
    ]
    return _episode_labels(numbers)


def _episode_labels(numbers):
    """One label per missing episode, but a run of four or more as a range: a new 80-episode series is one line."""
    labels, start = [], 0
    while start < len(numbers):
        end = start
        while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
            end += 1
        if end - start >= 3:
            labels.append(_("Episodes %(first)s–%(last)s") % {"first": numbers[start], "last": numbers[end]})
        else:
            labels += [_("Episode %(number)s") % {"number": n} for n in numbers[start : end + 1]]
        start = end + 1
    return labels


def is_processing(video):
    return video.status in PROCESSING_STATUSES
