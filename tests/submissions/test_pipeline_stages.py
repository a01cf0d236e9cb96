"""The pipeline's stages end to end, in this process (Celery eager): outputs, idempotency, bad files, storage."""

import hashlib
from pathlib import Path

import av
import pytest
from django.conf import settings as django_settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.utils import translation
from PIL import Image

from submissions import media, pipeline, qc
from submissions.models import QCLevel, VideoFile, VideoStatus
from submissions.videos import register_video, slot_problem
from tests.submissions.support import make_unit, open_competition, stored_files, work_entry
from tests.submissions.videos import copy_of, sample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _work_dir(settings, tmp_path):
    settings.VIDEO_WORK_DIR = tmp_path / "work"
    return settings.VIDEO_WORK_DIR


@pytest.fixture
def entry():
    entry = work_entry(make_unit(open_competition(), episode_min_seconds=2))
    entry.episode_count = 12
    entry.save()
    return entry


def sha256_of(name):
    with default_storage.open(name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def uploaded(entry, kind, tmp_path, slot="episode-1", register=False, capture=None):
    """A VideoFile for a copy of the sample, stored as the tus endpoint would; the pipeline not yet run."""
    source = copy_of(kind, tmp_path)
    size = source.stat().st_size
    if register:
        with capture(execute=True):
            return register_video(
                entry=entry, slot=slot, source_path=str(source), original_name=f"{kind}.mp4", size=size,
                actor=entry.owner,
            )
    with source.open("rb") as handle:
        name = default_storage.save(f"videos/{kind}.mp4", handle)
    return VideoFile.objects.create(entry=entry, slot=slot, episode=1, file=name, size=size, original_name="a.mp4")


def top_level_boxes(data):
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        boxes.append(data[offset + 4:offset + 8].decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def test_an_upload_goes_through_every_stage_to_ready(entry, tmp_path, django_capture_on_commit_callbacks):
    video = uploaded(entry, "vertical_short", tmp_path, register=True, capture=django_capture_on_commit_callbacks)
    original = sha256_of(video.file.name)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY, (video.error, video.qc_checks)
    assert video.error == "" and video.qc_level == QCLevel.PASS
    assert video.probe["display_width"] == 1080 and video.probe["duration"] == pytest.approx(3, abs=0.1)
    assert {item["rule"] for item in video.qc_checks} >= {"aspect", "resolution", "duration", "loudness"}

    # Poster, strip and preview are in storage, under their own random names.
    assert video.poster.name.startswith("posters/") and video.thumbnails.name.startswith("strips/")
    assert video.preview.name.startswith("previews/")
    assert stored_files() == {video.file.name, video.poster.name, video.thumbnails.name, video.preview.name}
    with default_storage.open(video.poster.name) as poster:
        assert Image.open(poster).size == (720, 1280)
    with default_storage.open(video.thumbnails.name) as strip:
        assert Image.open(strip).size == (90 * media.STRIP_FRAMES, 160)

    # The preview: H.264/AAC, at most 720 px on the long side, moov before mdat.
    preview_path = default_storage.path(video.preview.name)
    assert video.preview_size == Path(preview_path).stat().st_size
    with av.open(preview_path) as container:
        picture, sound = container.streams.video[0], container.streams.audio[0]
        assert (picture.codec_context.name, sound.codec_context.name) == ("h264", "aac")
        assert max(picture.codec_context.width, picture.codec_context.height) <= 720
        assert picture.codec_context.width % 2 == picture.codec_context.height % 2 == 0
    boxes = top_level_boxes(Path(preview_path).read_bytes())
    assert boxes.index("moov") < boxes.index("mdat")

    # The original is untouched and nothing is left in the work folder.
    assert sha256_of(video.file.name) == original
    assert list(pipeline.work_root().iterdir()) == []


def test_the_original_is_byte_for_byte_the_upload(entry, tmp_path):
    source = sample("rotated")
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    video = uploaded(entry, "rotated", tmp_path)
    assert pipeline.run_all(video.pk) == ["done", "done", "done", "done"]
    assert sha256_of(video.file.name) == expected
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert (video.probe["rotation"], video.probe["display_width"], video.probe["display_height"]) == (90, 1080, 1920)


def test_running_each_stage_again_does_nothing(entry, tmp_path):
    video = uploaded(entry, "vertical_short", tmp_path)
    assert pipeline.run_all(video.pk) == ["done"] * 4
    video.refresh_from_db()
    before = (video.probe, video.qc_checks, video.poster.name, video.thumbnails.name, video.preview.name)
    files = stored_files()
    assert pipeline.run_all(video.pk) == ["skipped"] * 4
    video.refresh_from_db()
    assert (video.probe, video.qc_checks, video.poster.name, video.thumbnails.name, video.preview.name) == before
    assert stored_files() == files and len(files) == 4  # one original, one poster, one strip, one preview
    assert video.status == VideoStatus.READY


def test_a_later_stage_delivered_alone_catches_up_and_stays_idempotent(entry, tmp_path):
    # e.g. the stall detector restarted a chain whose probe result was lost: the stage probes first.
    video = uploaded(entry, "vertical_short", tmp_path)
    assert pipeline.thumbnails_stage(video.pk) == "done"
    video.refresh_from_db()
    assert video.probe["ok"] and video.poster and video.status == VideoStatus.THUMBNAILS
    assert pipeline.thumbnails_stage(video.pk) == "skipped"
    assert len(stored_files("posters")) == 1


def test_qc_failures_still_get_a_preview_but_block_the_slot(entry, tmp_path):
    video = uploaded(entry, "landscape", tmp_path)
    assert pipeline.run_all(video.pk) == ["done"] * 4
    video.refresh_from_db()
    assert (video.status, video.qc_level) == (VideoStatus.READY, QCLevel.FAIL)
    assert video.preview  # organizers can still watch what was sent
    assert slot_problem(video) is not None
    with translation.override("en"):
        aspect = next(item for item in video.qc_checks if item["rule"] == "aspect")
        assert qc.describe(aspect, video) == "Episode 1 is 1920×1080 landscape; this unit requires vertical 9:16."


@pytest.mark.parametrize(
    ("kind", "error", "rule"),
    [
        ("text", "not_video", "file"),
        ("zero_bytes", "empty", "file"),
        ("truncated", "truncated", "complete"),
        ("truncated_faststart", "truncated", "complete"),
        ("audio_only", "no_video_stream", "file"),
        ("music_with_cover", "no_video_stream", "file"),
    ],
)
def test_a_bad_file_fails_cleanly_and_the_chain_stops(
    entry, tmp_path, django_capture_on_commit_callbacks, kind, error, rule
):
    video = uploaded(entry, kind, tmp_path, register=True, capture=django_capture_on_commit_callbacks)
    original = sha256_of(video.file.name)
    video.refresh_from_db()
    assert (video.status, video.error, video.qc_level) == (VideoStatus.FAILED, error, QCLevel.FAIL)
    assert video.qc_checks == [{"rule": rule, "level": "fail", "params": qc.failure(error)["params"]}]
    assert slot_problem(video) is not None
    # Nothing was made, the original is kept for the organizers, and every later delivery stops at once.
    assert stored_files() == {video.file.name}
    assert sha256_of(video.file.name) == original
    assert pipeline.run_all(video.pk) == ["failed"] * 4
    assert VideoFile.objects.get(pk=video.pk).status == VideoStatus.FAILED


def test_a_missing_original_fails_instead_of_retrying(entry, tmp_path):
    video = uploaded(entry, "vertical_short", tmp_path)
    default_storage.delete(video.file.name)
    assert pipeline.probe_stage(video.pk) == "failed"
    video.refresh_from_db()
    assert (video.status, video.error) == (VideoStatus.FAILED, "missing")


def test_a_deleted_video_is_skipped(entry, tmp_path):
    video = uploaded(entry, "vertical_short", tmp_path)
    video_id = video.pk
    video.delete()
    assert pipeline.run_all(video_id) == ["skipped"] * 4


class RemoteLikeStorage(Storage):
    """Keeps files under MEDIA_ROOT but, like S3, offers no local path(): the pipeline must download and upload."""

    def _full(self, name):
        return Path(django_settings.MEDIA_ROOT) / name

    def _open(self, name, mode="rb"):
        return File(self._full(name).open(mode))

    def _save(self, name, content):
        target = self._full(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
        return name

    def delete(self, name):
        self._full(name).unlink(missing_ok=True)

    def exists(self, name):
        return self._full(name).exists()

    def size(self, name):
        return self._full(name).stat().st_size


def test_remote_storage_is_downloaded_to_a_temporary_copy(entry, tmp_path, settings):
    video = uploaded(entry, "vertical_short", tmp_path)
    settings.STORAGES = {
        **settings.STORAGES, "default": {"BACKEND": f"{__name__}.RemoteLikeStorage"},
    }
    with pytest.raises(NotImplementedError):
        default_storage.path(video.file.name)
    assert pipeline.run_all(video.pk) == ["done"] * 4
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert default_storage.exists(video.preview.name) and default_storage.exists(video.poster.name)
    assert stored_files() == {video.file.name, video.poster.name, video.thumbnails.name, video.preview.name}
    assert list(pipeline.work_root().iterdir()) == []  # the downloads are gone


def test_dead_runs_leave_no_folders_behind(tmp_path):
    import fcntl
    import os
    import time

    root = tmp_path / "work"
    dead, alive, setting_up, abandoned = (
        root / name for name in ("video-1-dead", "video-2-alive", ".new-video-3-now", ".new-video-4-old")
    )
    for folder in (dead, alive, setting_up, abandoned):
        folder.mkdir(parents=True)
        (folder / ".lock").touch()
        (folder / "preview.mp4.part").write_bytes(b"x" * 100)
    old = time.time() - 2 * 3600
    os.utime(abandoned, (old, old))
    with open(alive / ".lock") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a running stage holds its folder's lock
        assert pipeline.sweep_workspaces(root) == 2
    assert sorted(path.name for path in root.iterdir()) == [".new-video-3-now", "video-2-alive"]


def test_a_run_cleans_its_own_folder_even_when_it_fails(entry, tmp_path):
    video = uploaded(entry, "text", tmp_path)
    assert pipeline.probe_stage(video.pk) == "failed"
    assert list(pipeline.work_root().iterdir()) == []


def test_the_heartbeat_refreshes_the_stage_while_ffmpeg_runs(entry, tmp_path):
    video = uploaded(entry, "vertical_short", tmp_path)
    VideoFile.objects.filter(pk=video.pk).update(status=VideoStatus.TRANSCODING, stage_started_at=None)
    beat = pipeline.Heartbeat(video.pk, VideoStatus.TRANSCODING, every=0)
    media.analyse_audio_video(sample("vertical_short"), progress=beat)
    assert beat.beats >= 1
    assert VideoFile.objects.get(pk=video.pk).stage_started_at is not None
    # A heartbeat never resurrects a stage that has moved on.
    VideoFile.objects.filter(pk=video.pk).update(status=VideoStatus.READY, stage_started_at=None)
    beat(1.0)
    assert VideoFile.objects.get(pk=video.pk).stage_started_at is None
