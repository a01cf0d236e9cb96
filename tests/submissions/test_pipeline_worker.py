"""A real Celery worker process (not eager) makes the thumbnails of uploaded posters and runs the video pipeline.

The worker is the session's `celery_worker_process` (tests/conftest.py): it opens the test database and the
media folder that `worker_media` points this process at. Rows must be committed for it to see them, hence
transaction=True; add_material queues the task on commit, exactly as a request does.
"""

import hashlib
import io
import time
from datetime import timedelta
from pathlib import Path

import av
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from portal.celery import app
from submissions import pipeline, services, tasks
from submissions.models import Material, ThumbnailStatus, VideoFile, VideoStatus
from submissions.videos import register_video
from tests.conftest import require_service
from tests.submissions.support import make_unit, open_competition, poster, stored_files, work_entry
from tests.submissions.videos import copy_of

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def wait_for_thumbnail(material, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        material.refresh_from_db()
        if material.thumbnail_status != ThumbnailStatus.PENDING:
            return material
        time.sleep(0.2)
    raise AssertionError(f"no thumbnail for material {material.pk} within {timeout} s")


def webp_size(name):
    with default_storage.open(name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "WEBP"
        return image.size


def test_the_worker_makes_the_thumbnail_and_a_second_delivery_changes_nothing(celery_worker_process, worker_media):
    assert not app.conf.task_always_eager, "this test must reach the worker, not run the task inline"
    entry = work_entry(make_unit(open_competition()))
    material = services.add_material(entry=entry, kind="poster_vertical", upload=poster(exif=True), actor=entry.owner)
    assert material.thumbnail_status == ThumbnailStatus.PENDING  # nothing ran in this process

    material = wait_for_thumbnail(material)
    assert material.thumbnail_status == ThumbnailStatus.READY, celery_worker_process.output()[-3000:]
    assert material.thumbnail.name.startswith("thumbnails/")
    assert (worker_media / material.thumbnail.name).is_file()  # written by the worker, into the shared folder
    assert webp_size(material.thumbnail.name) == (270, 480)
    log = celery_worker_process.output()
    assert "submissions.tasks.make_material_thumbnail[" in log and "succeeded" in log

    # acks_late may deliver a task twice: the second delivery leaves the one thumbnail alone.
    assert tasks.make_material_thumbnail.delay(material.pk).get(timeout=60) == "skipped"
    assert stored_files("thumbnails") == {material.thumbnail.name}
    assert Material.objects.get(pk=material.pk).thumbnail.name == material.thumbnail.name


def test_a_replaced_poster_leaves_only_the_new_files(celery_worker_process, worker_media):
    entry = work_entry(make_unit(open_competition()))
    old = wait_for_thumbnail(
        services.add_material(entry=entry, kind="poster_vertical", upload=poster(), actor=entry.owner)
    )
    new = services.add_material(
        entry=entry, kind="poster_vertical", upload=poster(size=(1080, 1440), colour="maroon"), actor=entry.owner
    )
    # The old files went on commit, in this process; the new thumbnail comes from the worker.
    assert not {old.file.name, old.thumbnail.name} & stored_files()
    new = wait_for_thumbnail(new)
    assert new.thumbnail_status == ThumbnailStatus.READY
    assert webp_size(new.thumbnail.name) == (360, 480)
    assert stored_files() == {new.file.name, new.thumbnail.name}
    assert list(Material.objects.values_list("pk", flat=True)) == [new.pk]


# ---------------------------------------------------------------------------------------------------- videos
# The video pipeline on the "media" queue. The worker is killed with SIGKILL in the middle of the transcode, a
# new one is started, and the file must end READY: through the broker delivering the unacknowledged task again
# (Redis, acks_late), or through the stall detector re-queuing the chain (any broker).

REDELIVERY_SECONDS = 5  # the replacement worker's CELERY_VISIBILITY_TIMEOUT


def wait_until(predicate, timeout, what, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} not within {timeout} s\n{worker.output()[-4000:]}")


def processes_writing(path):
    """Process ids whose command line names `path` (the ffmpeg writing it)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if str(path).encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def kill_mid_transcode(worker, tmp_path):
    """Register a long video, wait until the worker's ffmpeg is writing the preview, SIGKILL the worker."""
    entry = work_entry(make_unit(open_competition(), episode_min_seconds=2))
    source = copy_of("long_transcode", tmp_path)
    original = sha256(source)
    video = register_video(
        entry=entry, slot="episode-1", source_path=str(source), original_name="第1集.mp4",
        size=source.stat().st_size, actor=entry.owner,
    )  # queued on commit, as the tus endpoint does
    work_root = worker.var_dir / "video-work"

    def writing_preview():
        if VideoFile.objects.get(pk=video.pk).status != VideoStatus.TRANSCODING:
            return None
        partial = [path for path in work_root.glob("*/preview.mp4.part") if path.stat().st_size > 0]
        return partial and processes_writing(partial[0]) and partial[0]

    partial = wait_until(writing_preview, 120, "the worker transcoding the preview", worker)
    ffmpeg = processes_writing(partial)
    worker.kill()
    # ffmpeg dies with the worker that started it: nothing keeps writing an orphaned file.
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in ffmpeg), 10, "ffmpeg to die", worker)
    video.refresh_from_db()
    assert (video.status, video.preview.name) == (VideoStatus.TRANSCODING, "")
    assert video.poster and video.thumbnails and video.qc_level  # the stages before were done and acknowledged
    return video, original, work_root


def assert_ready_once(video, original, work_root, worker):
    video = wait_until(
        lambda: (v := VideoFile.objects.get(pk=video.pk)).status != VideoStatus.TRANSCODING and v, 180,
        "the video to leave TRANSCODING", worker,
    )
    assert video.status == VideoStatus.READY, (video.error, worker.output()[-4000:])
    assert stored_files("previews") == {video.preview.name}  # one preview, however many deliveries
    assert stored_files("posters") == {video.poster.name}
    assert sha256(default_storage.path(video.file.name)) == original  # the original is never modified
    with av.open(default_storage.path(video.preview.name)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.duration / av.time_base == pytest.approx(60, abs=0.5)
    # The killed run's folder was swept by the run that replaced it.
    assert list(work_root.iterdir()) == []
    return video


def test_a_worker_killed_mid_transcode_is_replaced_and_the_video_ends_ready(
    celery_worker_process, worker_media, broker_url, tmp_path
):
    require_service(broker_url.startswith(("redis://", "rediss://")), "A Redis broker (redelivery of unacked tasks)")
    video, original, work_root = kill_mid_transcode(celery_worker_process, tmp_path)
    # Redis hands an unacknowledged task out again once it is older than the visibility timeout; a worker looks
    # for such tasks as it starts. Wait that long after the preview task was delivered, then start one.
    delivered = video.stage_started_at
    elapsed = (timezone.now() - delivered).total_seconds()
    time.sleep(max(0.0, REDELIVERY_SECONDS + 1 - elapsed))
    celery_worker_process.start(CELERY_VISIBILITY_TIMEOUT=str(REDELIVERY_SECONDS))
    video = assert_ready_once(video, original, work_root, celery_worker_process)
    assert video.attempts == 0  # the broker redelivered it; the stall detector had nothing to do
    log = celery_worker_process.output()
    assert log.count("submissions.tasks.video_preview[") >= 2 and "succeeded" in log.rsplit(" ready.", 1)[1]


def test_a_task_lost_with_its_worker_is_recovered_by_the_stall_detector(
    celery_worker_process, worker_media, settings, tmp_path
):
    # On the filesystem broker a killed task's message is gone; on Redis it would come back only after the
    # visibility timeout (an hour by default). The stall detector re-queues the chain either way.
    video, original, work_root = kill_mid_transcode(celery_worker_process, tmp_path)
    celery_worker_process.start()
    assert pipeline.retry_stalled() == {"retried": 0, "failed": 0}  # it only just stopped
    # As if VIDEO_STALL_MINUTES had passed without a heartbeat:
    VideoFile.objects.filter(pk=video.pk).update(
        stage_started_at=timezone.now() - timedelta(minutes=settings.VIDEO_STALL_MINUTES + 1)
    )
    assert pipeline.retry_stalled() == {"retried": 1, "failed": 0}  # sent to the new worker
    video = assert_ready_once(video, original, work_root, celery_worker_process)
    assert video.attempts == 1
