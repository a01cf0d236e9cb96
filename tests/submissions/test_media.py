"""submissions.media on real generated files: probing, the analysis pass, pictures and the web preview."""

import hashlib
import io

import av
import pytest
from PIL import Image

from submissions import media
from tests.submissions.videos import copy_of, sample


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def top_level_boxes(path):
    """The MP4's top-level box types in file order, read straight from the bytes."""
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        if size == 1:
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        boxes.append(data[offset + 4:offset + 8].decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


# ------------------------------------------------------------------------------------------------ probe


def test_probe_reads_a_vertical_episode():
    info = media.probe(sample("vertical"))
    assert info["ok"] and info["error"] == ""
    assert info["container"].startswith("mov,mp4")
    assert (info["video_codec"], info["audio_codec"]) == ("h264", "aac")
    assert (info["width"], info["height"], info["rotation"]) == (1080, 1920, 0)
    assert (info["display_width"], info["display_height"], info["display_aspect_ratio"]) == (1080, 1920, "9:16")
    assert info["fps"] == 1.0
    assert 31.0 <= info["duration"] < 31.1
    assert info["has_audio"] and info["audio_channels"] == 1 and info["audio_sample_rate"] == 48000
    assert info["bit_rate"] > 0 and info["size"] == sample("vertical").stat().st_size
    assert info["decodable"] and not info["truncated"]


def test_probe_applies_the_rotation_phones_record():
    info = media.probe(sample("rotated"))
    assert (info["width"], info["height"], info["rotation"]) == (1920, 1080, 90)  # as stored
    assert (info["display_width"], info["display_height"], info["display_aspect_ratio"]) == (1080, 1920, "9:16")


def test_probe_of_a_landscape_and_a_silent_file():
    landscape = media.probe(sample("landscape"))
    assert (landscape["display_width"], landscape["display_height"], landscape["display_aspect_ratio"]) == (
        1920, 1080, "16:9",
    )
    silent = media.probe(sample("no_audio"))
    assert silent["ok"] and not silent["has_audio"] and silent["audio_codec"] == ""


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("text", "not_video"),
        ("zero_bytes", "empty"),
        ("truncated", "truncated"),
        ("truncated_faststart", "truncated"),
        ("audio_only", "no_video_stream"),
        ("music_with_cover", "no_video_stream"),  # cover art is not a video
    ],
)
def test_probe_names_what_is_wrong_with_a_bad_file(kind, error):
    info = media.probe(sample(kind))
    assert (info["ok"], info["error"]) == (False, error)


def test_a_truncated_faststart_file_still_shows_what_it_claimed():
    # Its index is intact, so PyAV opens it; the media data stops short of what the index promises.
    info = media.probe(sample("truncated_faststart"))
    assert info["truncated"] and info["decodable"]
    assert info["duration"] == pytest.approx(10, abs=0.1)
    assert media.iso_bmff_truncated(sample("truncated_faststart")) is True
    assert media.iso_bmff_truncated(sample("vertical")) is False
    assert media.iso_bmff_truncated(sample("text")) is None  # not an MP4 at all: for ffmpeg to judge


# ------------------------------------------------------------------------------------------------ analysis


def test_analysis_of_a_good_episode():
    result = media.analyse_audio_video(sample("vertical"))
    assert -19 < result["loudness"] < -16  # the 375 Hz tone at 0.2 amplitude
    assert result["black"] == [] and result["silence"] == []
    assert result["decoded_duration"] == pytest.approx(31, abs=0.1)


def test_analysis_finds_silence_and_its_loudness():
    result = media.analyse_audio_video(sample("silent_audio"))
    assert result["loudness"] == -70.0  # ebur128's floor: digital silence
    assert len(result["silence"]) == 1
    start, end = result["silence"][0]
    assert start == 0 and end == pytest.approx(31, abs=0.1)


def test_analysis_finds_a_black_opening():
    result = media.analyse_audio_video(sample("black_start"))
    assert result["black"] == [[0.0, 8.0]]
    assert result["silence"] == []


def test_analysis_of_a_file_with_no_sound_looks_only_at_the_picture():
    result = media.analyse_audio_video(sample("no_audio"))
    assert result["loudness"] is None and result["silence"] == []
    assert result["decoded_duration"] == pytest.approx(31, abs=0.1)


def test_analysis_reports_progress():
    seen = []
    media.analyse_audio_video(sample("vertical"), progress=seen.append)
    assert seen and seen[-1] == pytest.approx(31, abs=0.1)


# ------------------------------------------------------------------------------------------------ pictures


def test_poster_and_strip_of_a_vertical_episode():
    poster_bytes, strip_bytes = media.make_poster_and_strip(sample("vertical"), 31)
    poster = Image.open(io.BytesIO(poster_bytes))
    strip = Image.open(io.BytesIO(strip_bytes))
    assert (poster.format, poster.size) == ("JPEG", (720, 1280))
    assert strip.format == "JPEG"
    assert strip.size == (90 * media.STRIP_FRAMES, media.STRIP_TILE_HEIGHT)


def test_the_poster_avoids_a_black_frame():
    # Black for the first 8 s: 10% in (3.1 s) is black, so the poster comes from later in the episode.
    poster = Image.open(io.BytesIO(media.make_poster_and_strip(sample("black_start"), 31)[0]))
    assert not media._is_dark(poster)
    strip = Image.open(io.BytesIO(media.make_poster_and_strip(sample("black_start"), 31)[1]))
    first_tile = strip.crop((0, 0, 90, 160))
    assert media._is_dark(first_tile)  # the strip shows the video as it is


def red_marker_top_left(image):
    r, g, b = image.convert("RGB").getpixel((4, 4))
    return r > 180 and g < 80 and b < 80


def test_pictures_of_a_rotated_file_are_upright():
    poster_bytes, strip_bytes = media.make_poster_and_strip(sample("rotated"), 3)
    poster = Image.open(io.BytesIO(poster_bytes))
    assert poster.size == (720, 1280)
    assert red_marker_top_left(poster)
    strip = Image.open(io.BytesIO(strip_bytes))
    assert strip.size == (90 * media.STRIP_FRAMES, 160)
    assert red_marker_top_left(strip)


def test_pictures_of_a_landscape_file():
    poster_bytes, strip_bytes = media.make_poster_and_strip(sample("landscape"), 31)
    assert Image.open(io.BytesIO(poster_bytes)).size == (1280, 720)
    assert Image.open(io.BytesIO(strip_bytes)).size == (284 * media.STRIP_FRAMES, 160)


# ------------------------------------------------------------------------------------------------ preview


def test_preview_sizes_keep_the_aspect_and_stay_even():
    assert media.preview_size(1080, 1920) == (406, 720)
    assert media.preview_size(1920, 1080) == (720, 406)
    assert media.preview_size(3840, 2160) == (720, 406)
    assert media.preview_size(360, 640) == (360, 640)  # never enlarged
    assert media.preview_size(361, 641) == (362, 642)  # odd sizes rounded to even
    assert media.preview_size(64, 112) == (64, 112)


def test_the_preview_is_h264_aac_small_and_starts_fast(tmp_path):
    source = copy_of("vertical", tmp_path)
    before = sha256(source)
    target = tmp_path / "preview.mp4"
    result = media.transcode_preview(source, target)
    assert sha256(source) == before  # the original is only read
    assert target.is_file() and not (tmp_path / "preview.mp4.part").exists()
    assert result["ok"] and result["size"] == target.stat().st_size
    with av.open(str(target)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert (video.codec_context.width, video.codec_context.height) == (406, 720)
        assert video.codec_context.format.name == "yuv420p"
        assert audio.codec_context.sample_rate == 48000
    boxes = top_level_boxes(target)
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")  # faststart: the index comes first
    assert media.moov_before_mdat(target)
    assert result["duration"] == pytest.approx(31, abs=0.2)
    assert result["size"] < source.stat().st_size


def test_the_preview_of_a_rotated_file_is_upright_with_no_rotation_left(tmp_path):
    target = tmp_path / "preview.mp4"
    result = media.transcode_preview(sample("rotated"), target)
    assert (result["width"], result["height"], result["rotation"]) == (406, 720, 0)
    with av.open(str(target)) as container:
        frame = next(container.decode(video=0))
        assert red_marker_top_left(frame.to_image())


def test_the_preview_of_a_file_with_no_sound_has_no_sound(tmp_path):
    result = media.transcode_preview(sample("no_audio"), tmp_path / "preview.mp4")
    assert result["ok"] and not result["has_audio"] and result["video_codec"] == "h264"


def test_ffmpeg_failure_is_a_media_error_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "preview.mp4"
    info = {**media.probe(sample("vertical")), "display_width": 1080, "display_height": 1920}
    with pytest.raises(media.MediaError) as failure:
        media.transcode_preview(sample("text"), target, info=info)
    assert failure.value.code == "transcode_failed"
    assert list(tmp_path.iterdir()) == []


def test_padding_after_a_complete_mp4_is_not_truncation(tmp_path):
    padded = tmp_path / "padded.mp4"
    padded.write_bytes(sample("vertical_short").read_bytes() + b"\0" * 4096)
    assert media.iso_bmff_truncated(padded) is False
    assert media.probe(padded)["ok"]
    cut_in_a_header = tmp_path / "cut.mp4"
    data = sample("vertical_short").read_bytes()
    cut_in_a_header.write_bytes(data[:40])  # ftyp and the first bytes of the next box
    assert media.iso_bmff_truncated(cut_in_a_header) is True
