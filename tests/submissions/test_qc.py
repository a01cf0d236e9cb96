"""Technical QC on real generated files: which rule passes, warns or fails, and the sentence each check reads as."""

import functools

import pytest
from django.utils import translation

from portal.models import VideoOrientation
from submissions import media, qc
from submissions.models import VideoFile
from tests.submissions.support import make_unit, open_competition, work_entry
from tests.submissions.videos import sample

pytestmark = pytest.mark.django_db


@functools.cache
def measured(kind):
    """(probe, analysis) of a sample, measured once per session: ffmpeg really runs."""
    path = sample(kind)
    info = media.probe(path)
    return info, media.analyse_audio_video(path, has_audio=info["has_audio"], duration=info["duration"])


@pytest.fixture
def entry():
    return work_entry(make_unit(open_competition()))


def video_in(entry, slot="episode-3"):
    return VideoFile(entry=entry, slot=slot, file="videos/x.mp4", size=1)


def checked(kind, video):
    info, analysis = measured(kind)
    checks = qc.evaluate(info, analysis, qc.requirements_for(video))
    return checks, {item["rule"]: item["level"] for item in checks}


def sentences(checks, video):
    with translation.override("en"):
        return {item["rule"]: qc.describe(item, video) for item in checks}


ALL_PASS = {
    "file": "pass", "complete": "pass", "video_codec": "pass", "aspect": "pass", "resolution": "pass",
    "duration": "pass", "audio": "pass", "loudness": "pass", "silence": "pass", "black": "pass",
}


def test_a_good_vertical_episode_passes_everything(entry):
    video = video_in(entry)
    checks, levels = checked("vertical", video)
    assert levels == ALL_PASS
    assert [item["rule"] for item in checks] == list(ALL_PASS)  # the report's order
    assert qc.worst(checks) == "pass"
    text = sentences(checks, video)
    assert text["aspect"] == "Episode 3 is 1080×1920 (9:16), as this unit requires."
    assert text["resolution"] == "Episode 3 is 1080×1920; the minimum is 1080×1920."
    assert text["duration"] == "Episode 3 lasts 31 s."
    assert text["video_codec"] == "Episode 3 is encoded as H.264."
    assert text["loudness"] == "Episode 3 has a loudness of -17.7 LUFS, within -24 to -14 LUFS."
    assert text["silence"] == "Episode 3 has no silent stretch of 5 s or more."


def test_a_landscape_episode_in_a_vertical_unit_fails(entry):
    video = video_in(entry)
    checks, levels = checked("landscape", video)
    assert levels == {**ALL_PASS, "aspect": "fail"}
    assert qc.worst(checks) == "fail"
    assert sentences(checks, video)["aspect"] == "Episode 3 is 1920×1080 landscape; this unit requires vertical 9:16."


def test_the_unit_may_ask_for_horizontal_or_any_orientation(entry):
    entry.unit.video_orientation = VideoOrientation.HORIZONTAL
    video = video_in(entry)
    assert checked("landscape", video)[1]["aspect"] == "pass"
    checks, levels = checked("vertical", video)
    assert levels["aspect"] == "fail"
    assert sentences(checks, video)["aspect"] == (
        "Episode 3 is 1080×1920 vertical; this unit requires horizontal 16:9."
    )
    entry.unit.video_orientation = VideoOrientation.ANY
    checks, levels = checked("landscape", video)
    assert levels["aspect"] == "pass"
    assert sentences(checks, video)["aspect"] == "Episode 3 is 1920×1080; this unit accepts any orientation."


def test_the_track_sets_the_orientation_when_the_unit_does_not(entry):
    entry.track.video_orientation = VideoOrientation.HORIZONTAL
    assert checked("landscape", video_in(entry))[1]["aspect"] == "pass"


def test_a_rotated_phone_video_counts_as_vertical(entry):
    entry.unit.episode_min_seconds = 1
    checks, levels = checked("rotated", video_in(entry))
    assert levels["aspect"] == levels["resolution"] == levels["duration"] == "pass"


def test_a_five_second_episode_is_too_short(entry):
    video = video_in(entry, "episode-1")
    checks, levels = checked("five_seconds", video)
    assert levels == {**ALL_PASS, "duration": "fail"}
    assert sentences(checks, video)["duration"] == "Episode 1 lasts 5 s; episodes must last from 30 s to 15 min."


def test_a_twenty_minute_episode_is_too_long(entry):
    video = video_in(entry, "episode-12")
    checks, levels = checked("twenty_minutes", video)
    # Made cheaply (64x112), so it is also below the minimum resolution.
    assert levels == {**ALL_PASS, "duration": "fail", "resolution": "fail"}
    text = sentences(checks, video)
    assert text["duration"] == "Episode 12 lasts 20 min; episodes must last from 30 s to 15 min."
    assert text["resolution"] == "Episode 12 is 64×112; at least 1080×1920 is required."


def test_the_unit_sets_the_episode_range(entry):
    entry.unit.episode_min_seconds, entry.unit.episode_max_seconds = 60, 25 * 60
    video = video_in(entry, "episode-2")
    assert checked("twenty_minutes", video)[1]["duration"] == "pass"
    checks, levels = checked("vertical", video)
    assert levels["duration"] == "fail"
    assert sentences(checks, video)["duration"] == "Episode 2 lasts 31 s; episodes must last from 1 min to 25 min."


def test_trailers_only_warn_about_their_length(entry):
    video = video_in(entry, "trailer")
    checks, levels = checked("five_seconds", video)
    assert levels["duration"] == "warn"
    assert qc.worst(checks) == "warn"
    assert sentences(checks, video)["duration"] == (
        "The trailer lasts 5 s; trailers usually last from 15 s to 3 min."
    )
    assert checked("vertical", video)[1]["duration"] == "pass"


def test_the_full_length_version_has_a_minimum_and_no_maximum(entry):
    video = video_in(entry, "full")
    assert checked("twenty_minutes", video)[1]["duration"] == "pass"
    checks, levels = checked("five_seconds", video)
    assert levels["duration"] == "fail"
    assert sentences(checks, video)["duration"] == "The full-length version lasts 5 s; it must last at least 30 s."


def test_an_episode_with_no_sound_track_fails(entry):
    video = video_in(entry, "episode-2")
    checks, levels = checked("no_audio", video)
    # No sound, so no loudness and no silence to measure.
    assert levels == {
        "file": "pass", "complete": "pass", "video_codec": "pass", "aspect": "pass", "resolution": "pass",
        "duration": "pass", "audio": "fail", "black": "pass",
    }
    assert sentences(checks, video)["audio"] == "Episode 2 has no sound track; a sound track is required."


def test_a_silent_episode_warns_twice(entry):
    video = video_in(entry, "episode-4")
    checks, levels = checked("silent_audio", video)
    assert levels == {**ALL_PASS, "loudness": "warn", "silence": "warn"}
    assert qc.worst(checks) == "warn"
    text = sentences(checks, video)
    assert text["loudness"] == "Episode 4 is too quiet: -70.0 LUFS; between -24 and -14 LUFS is expected."
    assert text["silence"] == "Episode 4 is silent for 31 s from 0:00."


def test_a_quiet_episode_warns_about_loudness(entry):
    checks, levels = checked("quiet", video_in(entry))
    assert levels == {**ALL_PASS, "loudness": "warn"}
    lufs = next(item for item in checks if item["rule"] == "loudness")["params"]["lufs"]
    assert -46 < lufs < -42


def test_a_black_opening_warns(entry):
    video = video_in(entry, "episode-5")
    checks, levels = checked("black_start", video)
    assert levels == {**ALL_PASS, "black": "warn"}
    assert sentences(checks, video)["black"] == "Episode 5 shows a black picture for 8 s from 0:00."


def test_too_little_resolution_fails(entry):
    video = video_in(entry)
    checks, levels = checked("low_resolution", video)
    assert levels == {**ALL_PASS, "resolution": "fail"}
    assert sentences(checks, video)["resolution"] == "Episode 3 is 720×1280; at least 1080×1920 is required."
    entry.track.video_min_short_side, entry.track.video_min_long_side = 720, 1280
    assert checked("low_resolution", video)[1]["resolution"] == "pass"


def test_a_truncated_file_whose_index_survived_fails_as_incomplete(entry):
    video = video_in(entry)
    checks, levels = checked("truncated_faststart", video)
    assert levels["complete"] == "fail"
    assert sentences(checks, video)["complete"] == (
        "Episode 3: the file is incomplete (it was cut off, probably during the upload). Upload it again."
    )


def test_a_video_aspect_slightly_off_only_warns(entry):
    info, analysis = measured("vertical")
    video = video_in(entry)
    rules = qc.requirements_for(video)
    near = qc.evaluate({**info, "display_width": 1080, "display_height": 1910}, analysis, rules)
    assert {item["rule"]: item["level"] for item in near}["aspect"] == "pass"  # within 2%
    wide = qc.evaluate({**info, "display_width": 1080, "display_height": 1440}, analysis, rules)
    aspect = next(item for item in wide if item["rule"] == "aspect")
    assert aspect["level"] == "warn"
    with translation.override("en"):
        assert qc.describe(aspect, video) == (
            "Episode 3 is 1080×1440 (3:4); this unit asks for 9:16, so it may be shown with bars."
        )


def test_another_codec_fails(entry):
    info, analysis = measured("vertical")
    video = video_in(entry)
    checks = qc.evaluate({**info, "video_codec": "vp9"}, analysis, qc.requirements_for(video))
    codec = next(item for item in checks if item["rule"] == "video_codec")
    assert codec["level"] == "fail"
    with translation.override("en"):
        assert qc.describe(codec, video) == "Episode 3 is encoded as VP9; H.264 or HEVC (H.265) is required."
    hevc = qc.evaluate({**info, "video_codec": "hevc"}, analysis, qc.requirements_for(video))
    assert next(item for item in hevc if item["rule"] == "video_codec")["level"] == "pass"


@pytest.mark.parametrize(
    ("code", "rule", "sentence"),
    [
        ("empty", "file", "Episode 7: the file is empty (0 bytes). Upload it again."),
        ("not_video", "file",
         "Episode 7: the file is not a video the portal can read (judged by its content, not its name)."),
        ("no_video_stream", "file", "Episode 7: the file contains no picture, only sound or nothing at all."),
        ("truncated", "complete",
         "Episode 7: the file is incomplete (it was cut off, probably during the upload). Upload it again."),
        ("undecodable", "file", "Episode 7: the picture cannot be decoded; the file may be damaged. "
                                "Export it again and upload the new file."),
        ("missing", "file", "Episode 7: the uploaded file is missing from storage. Upload it again."),
        ("transcode_failed", "processing", "Episode 7: the web preview could not be made from this file. "
                                           "Export it again (H.264 MP4) and upload it."),
    ],
)
def test_each_unusable_file_has_one_failing_check_and_a_sentence(entry, code, rule, sentence):
    failure = qc.failure(code)
    assert (failure["rule"], failure["level"]) == (rule, "fail")
    with translation.override("en"):
        assert qc.describe(failure, video_in(entry, "episode-7")) == sentence


def test_a_stalled_video_says_how_often_it_was_tried(entry):
    with translation.override("en"):
        assert qc.describe(qc.failure("stalled", attempts=3), video_in(entry, "trailer")) == (
            "The trailer: processing got stuck and was stopped after 3 attempts. "
            "Upload the file again, or ask the organizers for help."
        )


def test_describe_needs_no_video_and_survives_unknown_rules():
    with translation.override("en"):
        assert qc.describe(qc.check("audio", "fail", codec=""), None) == (
            "This video has no sound track; a sound track is required."
        )
        assert qc.describe({"rule": "future", "level": "warn", "params": {}}) == "This video: future: warn."


def test_the_report_lists_the_worst_first(entry):
    video = video_in(entry, "episode-4")
    video.qc_checks, _levels = checked("silent_audio", video)
    with translation.override("en"):
        lines = qc.report(video)
    assert [item["rule"] for item, _sentence in lines[:2]] == ["loudness", "silence"]
    assert lines[0][1].startswith("Episode 4 is too quiet")
    assert [item["level"] for item, _sentence in lines[2:]] == ["pass"] * 8


def test_describe_speaks_the_active_language(entry):
    check = qc.check("duration", "fail", seconds=5, min=30, max=900, kind="episode")
    with translation.override("en"):
        english = qc.describe(check, video_in(entry))
    with translation.override("zh-hans"):
        chinese = qc.describe(check, video_in(entry))
    assert english == "Episode 3 lasts 5 s; episodes must last from 30 s to 15 min."
    # The words come from the catalog once translated; the figures are the same in every language.
    assert "5" in chinese and "30" in chinese and "15" in chinese


def test_durations_positions_and_ratios_read_plainly():
    with translation.override("en"):
        assert [qc.format_duration(s) for s in (0, 5, 60, 90, 900, 1200.2, 3600, 3725)] == [
            "0 s", "5 s", "1 min", "1 min 30 s", "15 min", "20 min", "1 h", "1 h 2 min",
        ]
    assert [qc.timestamp(s) for s in (0, 8.4, 75, 3725)] == ["0:00", "0:08", "1:15", "1:02:05"]
    assert [qc.ratio_label(*size) for size in ((1080, 1920), (406, 720), (1920, 1080), (1080, 1440), (1000, 1618))] == [
        "9:16", "9:16", "16:9", "3:4", "0.62:1",
    ]
