"""The video pipeline's stages: probe -> check -> thumbnails -> preview, and the stall detector.

submissions/tasks.py wraps each stage in a thin Celery task on the "media" queue; tests and the demo call the
stages directly. Every stage:

- loads the VideoFile and returns "skipped" when its output already exists (acks_late redelivery after a killed
  worker, and the stall detector's restarts, are then harmless) or the video is gone;
- sets `status` and `stage_started_at`, and refreshes `stage_started_at` while ffmpeg runs (a heartbeat every
  HEARTBEAT_SECONDS), so `stage_started_at` is the last sign of life the stall detector looks at;
- works on a local path: the storage's own file on local disk, a downloaded temporary copy for remote storage;
  temporary files live in a per-run folder under VIDEO_WORK_DIR (default VAR_DIR/video-work) that is removed
  afterwards, or swept by the next run once its owner process is dead;
- stores its outputs under random names through default_storage; when two deliveries race, the first to finish
  records its files and the other deletes its own;
- never writes to the original upload.

A file that cannot be used (empty, not a video, no picture, truncated, undecodable, missing) ends FAILED with
`error` set to the code and one failing QC check; the later stages then return "failed" at once, so the chain
ends without retries. Only OSError (storage or disk trouble) is retried by the tasks.
"""

import fcntl
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.utils import timezone

from submissions import media, qc
from submissions.materials import random_name
from submissions.models import PROCESSING_STATUSES, QCLevel, VideoFile, VideoStatus

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
DOWNLOAD_CHUNK = 8 * 1024 * 1024
STALE_SETUP_SECONDS = 3600

DONE, SKIPPED, FAILED = "done", "skipped", "failed"


# ------------------------------------------------------------------------------------------------ the stages


def probe_stage(video_id):
    video = _load(video_id)
    if video is None:
        return SKIPPED
    if video.status == VideoStatus.FAILED:
        return FAILED
    if video.probe.get("ok"):
        return SKIPPED
    _begin(video, VideoStatus.PROBING)
    try:
        with workspace(video.pk) as work, original_path(video, work) as path:
            info = media.probe(path)
    except media.MediaError as error:
        info = {"ok": False, "error": error.code}
    if not info["ok"]:
        _fail(video, info["error"], probe=info)
        return FAILED
    VideoFile.objects.filter(pk=video.pk).update(probe=info, stage_started_at=timezone.now())
    return DONE


def check_stage(video_id):
    video = _prepared(video_id)
    if not isinstance(video, VideoFile):
        return video
    if video.qc_level:
        return SKIPPED
    _begin(video, VideoStatus.CHECKING)
    info = video.probe
    try:
        with workspace(video.pk) as work, original_path(video, work) as path:
            analysis = media.analyse_audio_video(
                path, info=info, progress=Heartbeat(video.pk, VideoStatus.CHECKING), workdir=work
            )
    except media.MediaError as error:
        _fail(video, "undecodable" if error.code == "transcode_failed" else error.code)
        return FAILED
    checks = qc.evaluate(info, analysis, qc.requirements_for(video))
    fields = {"qc_checks": checks, "qc_level": qc.worst(checks), "stage_started_at": timezone.now()}
    if any(item["rule"] == "complete" and item["level"] == qc.FAIL for item in checks):
        fields.update(status=VideoStatus.FAILED, error="truncated")
    VideoFile.objects.filter(pk=video.pk, qc_level="").update(**fields)
    return FAILED if fields.get("status") == VideoStatus.FAILED else DONE


def thumbnails_stage(video_id):
    video = _prepared(video_id)
    if not isinstance(video, VideoFile):
        return video
    if video.poster and video.thumbnails:
        return SKIPPED
    _begin(video, VideoStatus.THUMBNAILS)
    try:
        with workspace(video.pk) as work, original_path(video, work) as path:
            poster, strip = media.make_poster_and_strip(path, video.probe.get("duration"))
    except media.MediaError as error:
        _fail(video, error.code)
        return FAILED
    poster_name = default_storage.save(random_name("posters", "jpg"), ContentFile(poster))
    strip_name = default_storage.save(random_name("strips", "jpg"), ContentFile(strip))
    recorded = (
        VideoFile.objects.filter(pk=video.pk, poster="")
        .update(poster=poster_name, thumbnails=strip_name, stage_started_at=timezone.now())
    )
    if not recorded:  # another delivery finished first, or the video was deleted meanwhile
        default_storage.delete(poster_name)
        default_storage.delete(strip_name)
        return SKIPPED
    return DONE


def preview_stage(video_id):
    video = _prepared(video_id)
    if not isinstance(video, VideoFile):
        return video
    if video.preview:
        VideoFile.objects.filter(pk=video.pk, status__in=PROCESSING_STATUSES).update(status=VideoStatus.READY)
        return SKIPPED
    _begin(video, VideoStatus.TRANSCODING)
    try:
        with workspace(video.pk) as work, original_path(video, work) as path:
            target = work / "preview.mp4"
            result = media.transcode_preview(
                path, target, info=video.probe, progress=Heartbeat(video.pk, VideoStatus.TRANSCODING), workdir=work,
            )
            name = store_file(target, "previews", "mp4")
    except media.MediaError as error:
        _fail(video, "transcode_failed" if error.code == "transcode_failed" else error.code)
        return FAILED
    recorded = VideoFile.objects.filter(pk=video.pk, preview="").update(
        preview=name, preview_size=result["size"], status=VideoStatus.READY, error="",
        stage_started_at=timezone.now(),
    )
    if not recorded:
        default_storage.delete(name)
        return SKIPPED
    return DONE


def run_all(video_id):
    """Every stage in order, in this process (the demo seeding and tests use it; workers run the chain)."""
    return [stage(video_id) for stage in (probe_stage, check_stage, thumbnails_stage, preview_stage)]


# ------------------------------------------------------------------------------------------------ the stall detector


def retry_stalled():
    """Restart the pipeline of videos with no sign of life for VIDEO_STALL_MINUTES; give up after
    VIDEO_MAX_ATTEMPTS runs in all (the first run and its restarts): FAILED with error "stalled".

    Returns {"retried": n, "failed": m}. A restart re-queues the whole chain; the stages already done skip.
    """
    from submissions.videos import start_pipeline

    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.VIDEO_STALL_MINUTES)
    stalled = list(
        VideoFile.objects.filter(status__in=PROCESSING_STATUSES)
        .filter(Q(stage_started_at__lt=cutoff) | Q(stage_started_at__isnull=True, updated_at__lt=cutoff))
        .order_by("stage_started_at")
    )
    retried = failed = 0
    for video in stalled:
        unchanged = VideoFile.objects.filter(pk=video.pk, status=video.status, stage_started_at=video.stage_started_at)
        runs = video.attempts + 1
        if runs >= settings.VIDEO_MAX_ATTEMPTS:
            checks = [*video.qc_checks, qc.failure("stalled", attempts=runs, stage=video.status)]
            if unchanged.update(
                status=VideoStatus.FAILED, error="stalled", qc_checks=checks, qc_level=QCLevel.FAIL,
            ):
                failed += 1
                logger.warning("video %s stalled in %s after %s runs: failed", video.pk, video.status, runs)
        elif unchanged.update(attempts=F("attempts") + 1, stage_started_at=now):
            retried += 1
            logger.warning("video %s stalled in %s: restarting its pipeline (run %s)", video.pk, video.status, runs + 1)
            start_pipeline(video.pk)
    sweep_workspaces()
    return {"retried": retried, "failed": failed}


# ------------------------------------------------------------------------------------------------ helpers


def _load(video_id):
    return VideoFile.objects.select_related("entry__unit", "entry__track").filter(pk=video_id).first()


def _prepared(video_id):
    """The video, with its probe done (running the probe stage if an earlier delivery never did); or a result."""
    video = _load(video_id)
    if video is None:
        return SKIPPED
    if video.status == VideoStatus.FAILED:
        return FAILED
    if not video.probe.get("ok"):
        if probe_stage(video_id) == FAILED:
            return FAILED
        video = _load(video_id)
        if video is None:
            return SKIPPED
    return video


def _begin(video, status):
    now = timezone.now()
    VideoFile.objects.filter(pk=video.pk).exclude(status=VideoStatus.FAILED).update(status=status, stage_started_at=now)
    video.status, video.stage_started_at = status, now


def _fail(video, code, **fields):
    VideoFile.objects.filter(pk=video.pk).update(
        status=VideoStatus.FAILED, error=code, qc_checks=[*video.qc_checks, qc.failure(code)], qc_level=QCLevel.FAIL,
        stage_started_at=timezone.now(), **fields,
    )
    logger.info("video %s failed: %s", video.pk, code)


class Heartbeat:
    """Called with ffmpeg's progress; refreshes stage_started_at at most every HEARTBEAT_SECONDS."""

    def __init__(self, video_id, status, every=HEARTBEAT_SECONDS):
        self.video_id, self.status, self.every = video_id, status, every
        self.last = time.monotonic()
        self.beats = 0

    def __call__(self, seconds=None):
        if time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        self.beats += 1
        VideoFile.objects.filter(pk=self.video_id, status=self.status).update(stage_started_at=timezone.now())


def work_root():
    return Path(getattr(settings, "VIDEO_WORK_DIR", None) or Path(settings.VAR_DIR) / "video-work")


@contextmanager
def workspace(video_id):
    """A private temporary folder for one stage run, locked while the run lives (see sweep_workspaces).

    The folder is made under a hidden name, locked, then renamed: a folder the sweeper can see is always locked
    by its run until that run ends or its process dies.
    """
    root = work_root()
    root.mkdir(parents=True, exist_ok=True)
    sweep_workspaces(root)
    hidden = Path(tempfile.mkdtemp(prefix=f".new-video-{video_id}-", dir=root))
    lock = open(hidden / ".lock", "w")  # noqa: SIM115 - held for the whole run
    path = hidden
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = root / hidden.name.removeprefix(".new-")
        hidden.rename(path)
        yield path
    finally:
        lock.close()
        shutil.rmtree(path, ignore_errors=True)


def sweep_workspaces(root=None):
    """Remove the folders of runs whose process died (a killed worker): their lock is free again."""
    root = Path(root or work_root())
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        try:
            if not folder.is_dir():
                continue
            if folder.name.startswith(".new-"):  # being set up, or its run died in those microseconds
                if time.time() - folder.stat().st_mtime > STALE_SETUP_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
                continue
            with open(folder / ".lock") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its run is alive
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except FileNotFoundError:  # gone meanwhile, or no lock at all: not one of ours to judge
            continue
    return removed


def _local_path(name):
    try:
        return default_storage.path(name)
    except NotImplementedError:  # remote storage (S3)
        return None


@contextmanager
def original_path(video, work):
    """A local path of the original upload, read-only by convention: the storage's own file on local disk, or a
    temporary download of it. MediaError("missing") if it is gone."""
    name = video.file.name
    path = _local_path(name)
    if path is not None:
        if not os.path.isfile(path):
            raise media.MediaError("missing", name)
        yield path
        return
    target = Path(work) / ("original" + os.path.splitext(name)[1])
    try:
        source = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise media.MediaError("missing", name) from None
    with source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, DOWNLOAD_CHUNK)
    yield str(target)


def store_file(local_path, folder, extension):
    """Put a finished local file into storage under a random name: a rename on the same disk, else a copy."""
    name = random_name(folder, extension)
    target = _local_path(name)
    if target is None:
        with open(local_path, "rb") as handle:
            return default_storage.save(name, File(handle))
    name = default_storage.get_available_name(name)
    target = default_storage.path(name)
    os.makedirs(os.path.dirname(target), mode=settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS or 0o750, exist_ok=True)
    try:
        os.replace(local_path, target)
    except OSError:  # another filesystem: copy, then remove
        shutil.move(local_path, target)
    os.chmod(target, settings.FILE_UPLOAD_PERMISSIONS or 0o640)
    return name
