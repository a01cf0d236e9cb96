"""What a judge watched: merged intervals, clamping, refusals, and the required watch share on submit."""

import math
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from judging.models import Rubric, Score, ScoreStatus, WatchProgress
from judging.scoring import CriterionInput, merge_intervals, record_watch, save_score, watch_shortfall
from submissions.models import VideoFile, VideoStatus


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def video(entry, slot, *, duration=100.0, status=VideoStatus.READY):
    episode = int(slot.split("-")[1]) if slot.startswith("episode-") else None
    probe = {"duration": duration} if duration is not None else {}
    return VideoFile.objects.create(
        entry=entry,
        slot=slot,
        episode=episode,
        file=f"videos/{entry.pk}-{slot}.mp4",
        size=1000,
        status=status,
        probe=probe,
    )


def test_intervals_are_merged_sorted_and_summed(assignment, bob):
    clip = video(assignment.entry, "episode-1")
    record_watch(judge=bob, video=clip, start=30, end=40)
    record_watch(judge=bob, video=clip, start=0, end=10)
    record_watch(judge=bob, video=clip, start=10.5, end=20)  # within 1 s of the previous one: joined
    progress = record_watch(judge=bob, video=clip, start=35, end=50)  # overlaps: joined
    assert progress.intervals == [[0.0, 20.0], [30.0, 50.0]]
    assert progress.watched_seconds == 40.0 and progress.duration == 100.0
    assert math.isclose(progress.share, 0.4)
    # Watching the same stretch again adds nothing.
    again = record_watch(judge=bob, video=clip, start=0, end=20)
    assert again.watched_seconds == 40.0
    assert WatchProgress.objects.count() == 1


def test_merge_intervals_joins_touching_and_keeps_gaps():
    assert merge_intervals([[5.5, 6], [0, 2], [2.9, 4], [7.5, 9]]) == [[0.0, 4.0], [5.5, 6.0], [7.5, 9.0]]
    assert merge_intervals([[0, 4], [5, 6]]) == [[0.0, 6.0]]  # exactly 1 s apart: joined
    assert merge_intervals([]) == []


def test_intervals_are_clamped_to_the_duration_and_tiny_or_late_ones_ignored(assignment, bob):
    clip = video(assignment.entry, "episode-1", duration=60.0)
    progress = record_watch(judge=bob, video=clip, start=50, end=90)
    assert progress.intervals == [[50.0, 60.0]] and progress.watched_seconds == 10.0
    progress = record_watch(judge=bob, video=clip, start=70, end=80)  # beyond the end
    progress = record_watch(judge=bob, video=clip, start=5, end=5.1)  # shorter than 0.2 s
    assert progress.intervals == [[50.0, 60.0]]
    assert progress.share == pytest.approx(10 / 60)


@pytest.mark.parametrize(
    ("start", "end"),
    [(float("nan"), 10), (0, float("inf")), (-1, 10), (0, -5), (20, 10), ("abc", 10), (None, 3)],
)
def test_nonsense_is_refused(assignment, bob, start, end):
    clip = video(assignment.entry, "episode-1")
    with pytest.raises(ValueError):
        record_watch(judge=bob, video=clip, start=start, end=end)
    assert not WatchProgress.objects.filter(watched_seconds__gt=0).exists()


def test_an_unknown_duration_gives_a_share_of_zero(assignment, bob):
    clip = video(assignment.entry, "episode-1", duration=None)
    progress = record_watch(judge=bob, video=clip, start=0, end=30)
    assert progress.duration == 0 and progress.share == 0.0 and progress.watched_seconds == 30.0


def test_the_interval_list_is_capped(assignment, bob, monkeypatch):
    from judging import scoring

    monkeypatch.setattr(scoring, "MAX_INTERVALS", 3)
    clip = video(assignment.entry, "episode-1", duration=1000.0)
    for start in (0, 10, 20, 30, 40):
        progress = record_watch(judge=bob, video=clip, start=start, end=start + 1)
    assert len(progress.intervals) == 3 and progress.watched_seconds == 3.0
    # A report that joins existing intervals still counts.
    progress = record_watch(judge=bob, video=clip, start=1, end=5)
    assert progress.intervals[0] == [0.0, 5.0]


def full_marks(assignment):
    rubric = Rubric.objects.get(round=assignment.round)
    return {c.pk: CriterionInput(Decimal("8"), "comment") for c in rubric.criteria.all()}


def test_the_required_share_blocks_submitting_until_enough_is_watched(assignment, bob):
    round = assignment.round
    round.required_watch_share = 80
    round.save()
    entry = assignment.entry
    first = video(entry, "episode-1", duration=100.0)
    second = video(entry, "episode-2", duration=200.0)
    video(entry, "trailer", duration=30.0)  # the trailer is never required
    video(entry, "episode-3", status=VideoStatus.TRANSCODING)  # not ready: not required
    record_watch(judge=bob, video=first, start=0, end=90)
    record_watch(judge=bob, video=second, start=0, end=20)

    shortfall = watch_shortfall(judge=bob, round=round, entry=entry)
    assert [(v.slot, share) for v, share in shortfall] == [("episode-2", pytest.approx(0.1))]

    with pytest.raises(ValidationError) as caught:
        save_score(assignment=assignment, values=full_marks(assignment), submit=True)
    message = caught.value.message_dict[NON_FIELD_ERRORS][0]
    assert "80%" in message and "Episode 2 (10% watched)" in message and "Episode 1" not in message
    assert not Score.objects.exists()

    # A draft is always allowed while the window is open.
    assert save_score(assignment=assignment, values=full_marks(assignment), submit=False).status == ScoreStatus.DRAFT

    record_watch(judge=bob, video=second, start=20, end=165)  # 165 of 200 s = 82.5%
    assert watch_shortfall(judge=bob, round=round, entry=entry) == []
    score = save_score(assignment=assignment, values=full_marks(assignment), submit=True)
    assert score.status == ScoreStatus.SUBMITTED


def test_a_full_length_video_counts_and_other_judges_watching_does_not(assignment, bob, erin):
    round = assignment.round
    round.required_watch_share = 50
    round.save()
    full = video(assignment.entry, "full", duration=600.0)
    record_watch(judge=erin, video=full, start=0, end=600)
    assert [v.slot for v, _share in watch_shortfall(judge=bob, round=round, entry=assignment.entry)] == ["full"]
    record_watch(judge=bob, video=full, start=0, end=299.6)  # half a second of slack at the end
    assert watch_shortfall(judge=bob, round=round, entry=assignment.entry) == []


def test_no_requirement_or_no_video_means_no_shortfall(assignment, bob):
    assert watch_shortfall(judge=bob, round=assignment.round, entry=assignment.entry) == []
    assignment.round.required_watch_share = 100
    assert watch_shortfall(judge=bob, round=assignment.round, entry=assignment.entry) == []


def test_shortfall_takes_two_queries_however_many_videos(assignment, bob):
    round = assignment.round
    round.required_watch_share = 80
    for number in range(1, 11):
        clip = video(assignment.entry, f"episode-{number}")
        record_watch(judge=bob, video=clip, start=0, end=10)
    with CaptureQueriesContext(connection) as queries:
        shortfall = watch_shortfall(judge=bob, round=round, entry=assignment.entry)
    assert len(shortfall) == 10 and len(queries) == 2
