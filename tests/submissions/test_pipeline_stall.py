"""The stall detector: a video with no sign of life for VIDEO_STALL_MINUTES is restarted, then given up on."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from submissions import pipeline, qc, tasks
from submissions.models import QCLevel, VideoFile, VideoStatus
from submissions.videos import slot_problem
from tests.submissions.support import make_unit, open_competition, stored_files, work_entry
from tests.submissions.videos import copy_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.VIDEO_WORK_DIR = tmp_path / "work"
    settings.VIDEO_STALL_MINUTES = 20
    settings.VIDEO_MAX_ATTEMPTS = 3


@pytest.fixture
def entry():
    return work_entry(make_unit(open_competition(), episode_min_seconds=2))


def stuck_video(entry, tmp_path, *, status=VideoStatus.TRANSCODING, minutes_ago=0, attempts=0, slot="episode-1"):
    """A video whose worker died in `status`: the earlier stages' outputs are recorded, the rest never came."""
    with copy_of("vertical_short", tmp_path).open("rb") as handle:
        name = default_storage.save("videos/stuck.mp4", handle)
    video = VideoFile.objects.create(entry=entry, slot=slot, episode=1, file=name, size=1, attempts=attempts)
    pipeline.probe_stage(video.pk)
    if status in (VideoStatus.THUMBNAILS, VideoStatus.TRANSCODING):
        pipeline.check_stage(video.pk)
    if status == VideoStatus.TRANSCODING:
        pipeline.thumbnails_stage(video.pk)
    VideoFile.objects.filter(pk=video.pk).update(
        status=status, stage_started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return VideoFile.objects.get(pk=video.pk)


def test_a_stalled_transcode_is_restarted_and_finishes(entry, tmp_path):
    video = stuck_video(entry, tmp_path)
    poster = video.poster.name
    assert pipeline.retry_stalled() == {"retried": 0, "failed": 0}  # not yet: it only just stopped
    with time_machine.travel(timezone.now() + timedelta(minutes=21), tick=False):
        # Tasks run eagerly here, so the restarted chain runs inside the call.
        assert pipeline.retry_stalled() == {"retried": 1, "failed": 0}
    video.refresh_from_db()
    assert (video.status, video.attempts, video.error) == (VideoStatus.READY, 1, "")
    assert video.poster.name == poster  # the finished stages were skipped, not redone
    assert len(stored_files("posters")) == 1 and len(stored_files("previews")) == 1


def test_the_beat_task_runs_the_detector(entry, tmp_path):
    stuck_video(entry, tmp_path, status=VideoStatus.CHECKING, minutes_ago=45)
    assert tasks.retry_stalled_videos.delay().get() == {"retried": 1, "failed": 0}
    assert VideoFile.objects.get().status == VideoStatus.READY


def test_only_processing_videos_past_the_limit_are_touched(entry, tmp_path, settings):
    recent = stuck_video(entry, tmp_path, minutes_ago=19, slot="episode-1")
    done = stuck_video(entry, tmp_path, minutes_ago=600, slot="episode-2")
    VideoFile.objects.filter(pk=done.pk).update(status=VideoStatus.READY)
    failed = stuck_video(entry, tmp_path, minutes_ago=600, slot="episode-3")
    VideoFile.objects.filter(pk=failed.pk).update(status=VideoStatus.FAILED, error="not_video")
    assert pipeline.retry_stalled() == {"retried": 0, "failed": 0}
    assert VideoFile.objects.get(pk=recent.pk).status == VideoStatus.TRANSCODING
    settings.VIDEO_STALL_MINUTES = 10  # the limit is a setting
    assert pipeline.retry_stalled() == {"retried": 1, "failed": 0}
    assert VideoFile.objects.get(pk=recent.pk).status == VideoStatus.READY
    assert VideoFile.objects.get(pk=done.pk).attempts == VideoFile.objects.get(pk=failed.pk).attempts == 0


def test_a_video_that_keeps_stalling_ends_failed_and_says_so(entry, tmp_path):
    video = stuck_video(entry, tmp_path, minutes_ago=30, attempts=2)  # its third run has stalled too
    assert pipeline.retry_stalled() == {"retried": 0, "failed": 1}
    video.refresh_from_db()
    assert (video.status, video.error, video.qc_level) == (VideoStatus.FAILED, "stalled", QCLevel.FAIL)
    assert video.attempts == 2
    assert slot_problem(video) is not None
    last = video.qc_checks[-1]
    assert (last["rule"], last["level"], last["params"]["attempts"]) == ("processing", "fail", 3)
    assert [item["rule"] for item in video.qc_checks[:-1]][:2] == ["file", "complete"]  # earlier results kept
    with translation.override("en"):
        assert qc.describe(last, video) == (
            "Episode 1: processing got stuck and was stopped after 3 attempts. "
            "Upload the file again, or ask the organizers for help."
        )
    # A failed video is not restarted again.
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert pipeline.retry_stalled() == {"retried": 0, "failed": 0}


def test_attempts_count_up_to_the_limit(entry, tmp_path, settings):
    settings.VIDEO_MAX_ATTEMPTS = 2
    video = stuck_video(entry, tmp_path, status=VideoStatus.UPLOADED, minutes_ago=30)
    VideoFile.objects.filter(pk=video.pk).update(probe={})
    # Restarted once (run 2 of 2) ...
    assert pipeline.retry_stalled() == {"retried": 1, "failed": 0}
    video.refresh_from_db()
    assert (video.status, video.attempts) == (VideoStatus.READY, 1)
    # ... and had it stalled again, it would have failed.
    VideoFile.objects.filter(pk=video.pk).update(
        status=VideoStatus.TRANSCODING, preview="", stage_started_at=timezone.now() - timedelta(minutes=30)
    )
    assert pipeline.retry_stalled() == {"retried": 0, "failed": 1}


def test_a_video_with_no_stage_time_is_judged_by_its_last_change(entry, tmp_path):
    video = stuck_video(entry, tmp_path, status=VideoStatus.UPLOADED)
    VideoFile.objects.filter(pk=video.pk).update(stage_started_at=None)
    assert pipeline.retry_stalled() == {"retried": 0, "failed": 0}
    with time_machine.travel(timezone.now() + timedelta(minutes=30), tick=False):
        assert pipeline.retry_stalled() == {"retried": 1, "failed": 0}
