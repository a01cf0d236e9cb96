"""What the video pipeline does to a file, as plain functions on local paths: no database, no storage.

- `probe(path)` reads the container with PyAV: codecs, duration, size, rotation, display aspect, fps, audio, and
  whether the file is readable and complete. It never raises for a bad file: a file that cannot be used comes
  back with `ok` False and an `error` code (see ERRORS).
- `analyse_audio_video(path)` runs ONE ffmpeg pass with the ebur128, blackdetect and silencedetect filters:
  integrated loudness, black and silent stretches, and how much of the file actually decoded.
- `make_poster_and_strip(path, duration)` seeks with PyAV and draws with Pillow: a poster frame (about 10% in,
  not black if another frame is not) and one strip image of STRIP_FRAMES frames spread evenly across the video.
- `transcode_preview(src, dst)` runs ffmpeg: H.264 + AAC in MP4 with faststart, at most PREVIEW_LONG_SIDE pixels
  on the long side, aspect and rotation kept, written to a temporary name beside `dst` and renamed into place.

FFmpeg comes from the PyAV wheel (probing, frames) and the imageio-ffmpeg wheel (the `ffmpeg` binary and its
filters). An ffmpeg child process is killed with its parent (Linux), so a killed worker leaves no orphan behind.
"""

import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from fractions import Fraction

import av
from PIL import Image, ImageStat

# Why a file could not be used; pipeline.py stores the code in VideoFile.error, qc.describe() explains it.
ERRORS = (
    "empty",            # zero bytes
    "not_video",        # no container PyAV can read (a text file named .mp4, a PDF, random bytes)
    "no_video_stream",  # a readable container with no picture (an audio-only file)
    "truncated",        # the container says there is more than the file holds (cut off during the upload)
    "undecodable",      # the video stream is there but not one frame of it decodes
    "missing",          # the original is gone from storage
    "transcode_failed", # ffmpeg could not make the web preview
)

BLACK_MIN_SECONDS = 5
SILENCE_MIN_SECONDS = 5
SILENCE_NOISE_DB = -50  # quieter than this counts as silence (room tone sits around -60..-40 dBFS)
BLACK_PIXEL_THRESHOLD = 0.10  # blackdetect's pix_th: luma at most 10% above black counts as a black pixel
PREVIEW_LONG_SIDE = 720
PREVIEW_MAX_FPS = 30
PREVIEW_CRF = 26
PREVIEW_MAXRATE = "2500k"  # caps the peaks so a preview streams over an ordinary connection
PREVIEW_AUDIO_BITRATE = "128k"
POSTER_LONG_SIDE = 1280
POSTER_AT = 0.10  # fraction of the duration
POSTER_FALLBACKS = (0.20, 0.30, 0.50, 0.70, 0.05)
STRIP_FRAMES = 8
STRIP_TILE_HEIGHT = 160
# A frame whose mean luma is below this (0-255) is treated as black when choosing the poster.
DARK_FRAME_LUMA = 20
# When seeking for a frame, decode at most this many frames forward from the keyframe before taking what we have.
SEEK_DECODE_LIMIT = 48


class MediaError(Exception):
    """A file the pipeline cannot use, whatever the retry; `code` is one of ERRORS."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def ffmpeg_exe():
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# ---------------------------------------------------------------------------------------------------- probe


def probe(path) -> dict:
    """Everything the checks need to know about a file, read with PyAV. Never raises for a bad file."""
    size = os.path.getsize(path)
    info = {
        "ok": False, "error": "", "size": size, "container": "", "duration": None, "bit_rate": None,
        "video_codec": "", "width": None, "height": None, "rotation": 0, "sample_aspect_ratio": "1:1",
        "display_width": None, "display_height": None, "display_aspect_ratio": "", "fps": None,
        "pix_fmt": "", "has_audio": False, "audio_codec": "", "audio_channels": None, "audio_sample_rate": None,
        "truncated": False, "decodable": False, "video_stream": None, "audio_stream": None,
    }
    if size == 0:
        return {**info, "error": "empty"}
    truncated = iso_bmff_truncated(path)
    info["truncated"] = bool(truncated)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        return {**info, "error": "truncated" if truncated else "not_video"}
    with container:
        info["container"] = container.format.name
        info["duration"] = _duration(container)
        info["bit_rate"] = container.bit_rate or None
        if container.streams.audio:
            audio = container.streams.audio[0]
            info.update(
                has_audio=True,
                audio_stream=audio.index,
                audio_codec=_codec_name(audio),
                audio_channels=audio.codec_context.channels or None,
                audio_sample_rate=audio.codec_context.sample_rate or None,
            )
        stream = video_stream(container)
        if stream is None:  # nothing, or only a still picture (the cover art of a music file)
            return {**info, "error": "truncated" if truncated else "no_video_stream"}
        context = stream.codec_context
        info["video_stream"] = stream.index
        info["video_codec"] = _codec_name(stream)
        info["width"], info["height"] = context.width or None, context.height or None
        info["pix_fmt"] = context.format.name if context.format else ""
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        info["fps"] = round(float(rate), 3) if rate else None
        sar = stream.sample_aspect_ratio or Fraction(1)
        info["sample_aspect_ratio"] = f"{sar.numerator}:{sar.denominator}"
        frame = _first_frame(container, stream)
        if frame is not None:
            info["decodable"] = True
            info["rotation"] = int(frame.rotation or 0) % 360
            info["width"], info["height"] = info["width"] or frame.width, info["height"] or frame.height
    if info["width"] and info["height"]:
        display_width, display_height = info["width"] * sar, Fraction(info["height"])
        if info["rotation"] in (90, 270):
            display_width, display_height = display_height, display_width
        info["display_width"], info["display_height"] = round(display_width), round(display_height)
        ratio = display_width / display_height
        info["display_aspect_ratio"] = f"{ratio.numerator}:{ratio.denominator}"
    if truncated:
        return {**info, "error": "truncated"}
    if not info["decodable"]:
        return {**info, "error": "undecodable"}
    return {**info, "ok": True}


def video_stream(container):
    """The first real video stream: cover art (an "attached picture") is a still image, not the video."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _stream_spec(info, kind):
    """ffmpeg's name for the stream probe() chose ("0:2"), or the first of its kind ("0:v:0")."""
    index = info.get(f"{kind}_stream") if info else None
    return f"0:{index}" if index is not None else f"0:{kind[0]}:0"


def _codec_name(stream):
    codec = stream.codec_context.codec
    return getattr(codec, "canonical_name", None) or codec.name


def _duration(container):
    if container.duration:
        return round(container.duration / av.time_base, 3)
    longest = 0.0
    for stream in container.streams:
        if stream.duration and stream.time_base:
            longest = max(longest, float(stream.duration * stream.time_base))
    return round(longest, 3) or None


def _first_frame(container, stream):
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                return frame
    except (av.FFmpegError, ValueError):
        return None
    return None


def iso_bmff_truncated(path):
    """For an MP4/MOV (ISO base media) file: True when a top-level box runs past the end of the file, or the
    file ends before the index (moov) arrives. None for files of another kind, which ffmpeg judges instead.
    Bytes after complete boxes that are not a box (padding some recorders add) do not count as truncation."""
    size = os.path.getsize(path)
    seen = []

    def indexed():
        return b"moov" in seen or b"moof" in seen

    with open(path, "rb") as handle:
        offset = 0
        while offset < size:
            handle.seek(offset)
            header = handle.read(16)
            box_type = header[4:8]
            if not seen and box_type not in {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp"}:
                return None  # not an ISO base media file
            if len(header) < 8 or not re.fullmatch(rb"[\x20-\x7e]{4}", box_type):
                return not indexed()  # trailing padding after a complete file, or the index never came
            box_size = int.from_bytes(header[:4], "big")
            seen.append(box_type)
            if box_size == 1:
                if len(header) < 16:
                    return True
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:
                break  # "to the end of the file": only valid for the last box
            if box_size < 8 or offset + box_size > size:
                return True
            offset += box_size
    return not indexed()


# ---------------------------------------------------------------------------------------------------- ffmpeg


def _kill_with_parent():  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        _libc_prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die when the worker that started us dies


try:
    import ctypes

    _libc_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # pragma: no cover
    _libc_prctl = None


def run_ffmpeg(arguments, *, progress=None, workdir=None):
    """Run the ffmpeg binary; returns (its log, the last position it reported in seconds).
    `progress(seconds)` is called as it advances (about twice a second).

    Raises MediaError on a non-zero exit, OSError when the disk is full (worth retrying), FileNotFoundError when
    the binary itself is missing.
    """
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", *arguments]
    with tempfile.TemporaryFile(dir=workdir) as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments we build, no shell
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
            preexec_fn=_kill_with_parent if _libc_prctl else None,  # noqa: PLW1509
        )
        last = None
        try:
            for raw in process.stdout:
                key, _sep, value = raw.decode("ascii", "replace").strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit():
                    last = max(0, int(value)) / 1_000_000
                    if progress is not None:
                        progress(last)
            returncode = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    if returncode != 0:
        if "No space left on device" in text:
            raise OSError(28, "No space left on device while running ffmpeg")
        tail = "\n".join(text.strip().splitlines()[-5:])
        raise MediaError("transcode_failed", tail[-500:])
    return text, last


# ---------------------------------------------------------------------------------------------------- analysis

_BLACK = re.compile(r"black_start:\s*(?P<start>-?[\d.]+)\s+black_end:\s*(?P<end>-?[\d.]+)")
_SILENCE_START = re.compile(r"silence_start:\s*(?P<start>-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end:\s*(?P<end>-?[\d.]+)")
_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(?P<lufs>-?[\d.]+|-?inf|nan)\s*LUFS")
_RANGE = re.compile(r"Loudness range:\s*\n\s*LRA:\s*(?P<lra>-?[\d.]+)\s*LU")


def analysis_arguments(path, *, has_audio=True, info=None):
    """The ffmpeg arguments of the analysis pass (the benchmark runs exactly these, bare)."""
    video = f"[{_stream_spec(info, 'video')}]blackdetect=d={BLACK_MIN_SECONDS}:pix_th={BLACK_PIXEL_THRESHOLD}[v]"
    graph, maps = [video], ["-map", "[v]"]
    if has_audio:
        # framelog=verbose keeps ebur128's ten lines a second out of the log; its summary is still printed.
        graph.append(
            f"[{_stream_spec(info, 'audio')}]ebur128=framelog=verbose,"
            f"silencedetect=n={SILENCE_NOISE_DB}dB:d={SILENCE_MIN_SECONDS}[a]"
        )
        maps += ["-map", "[a]"]
    return ["-i", str(path), "-filter_complex", ";".join(graph), *maps, "-f", "null", "-"]


def analyse_audio_video(path, *, has_audio=None, duration=None, info=None, progress=None, workdir=None) -> dict:
    """Loudness and black/silent stretches in one ffmpeg pass over the whole file.

    Returns {"loudness": LUFS or None, "loudness_range": LU or None, "black": [[start, end], ...],
    "silence": [[start, end], ...], "decoded_duration": seconds}. Stretches are those at least 5 s long; one that
    runs to the end of the file ends at the file's duration.
    """
    if info is None and (has_audio is None or duration is None):
        info = probe(path)
    if info is not None:
        has_audio = info["has_audio"] if has_audio is None else has_audio
        duration = info["duration"] if duration is None else duration
    log, decoded = run_ffmpeg(
        analysis_arguments(path, has_audio=has_audio, info=info), progress=progress, workdir=workdir
    )
    end = round(max(filter(None, [decoded, duration, 0.0])), 3)
    black = [
        [round(float(m["start"]), 2), round(float(m["end"]), 2)] for m in _BLACK.finditer(log)
    ]
    silence = []
    for line in log.splitlines():
        if match := _SILENCE_START.search(line):
            silence.append([round(max(0.0, float(match["start"])), 2), None])
        elif (match := _SILENCE_END.search(line)) and silence and silence[-1][1] is None:
            silence[-1][1] = round(float(match["end"]), 2)
    silence = [[start, stop if stop is not None else round(end, 2)] for start, stop in silence]
    loudness = loudness_range = None
    if has_audio:
        if match := _INTEGRATED.search(log):
            value = float(match["lufs"])
            loudness = round(value, 1) if value == value and abs(value) != float("inf") else -70.0
        if match := _RANGE.search(log):
            loudness_range = round(float(match["lra"]), 1)
    return {
        "loudness": loudness,
        "loudness_range": loudness_range,
        "black": [span for span in black if span[1] - span[0] >= BLACK_MIN_SECONDS - 0.01],
        "silence": [span for span in silence if span[1] - span[0] >= SILENCE_MIN_SECONDS - 0.01],
        "decoded_duration": round(decoded, 3) if decoded is not None else None,
    }


# ---------------------------------------------------------------------------------------------------- pictures


def make_poster_and_strip(path, duration) -> tuple[bytes, bytes]:
    """(poster JPEG, strip JPEG). The strip is STRIP_FRAMES tiles side by side, each STRIP_TILE_HEIGHT px high,
    taken at (i + 0.5) / STRIP_FRAMES of the duration, so a player can map a position to a tile."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = video_stream(container)
            if stream is None:
                raise MediaError("no_video_stream")
            stream.thread_type = "AUTO"
            sar = stream.sample_aspect_ratio or Fraction(1)
            duration = float(duration or 0) or (_duration(container) or 0)
            # A picture within half a tile's share of the duration will do: usually the keyframe the seek lands on,
            # so one frame is decoded per picture instead of up to a whole group of pictures.
            slack = max(0.5, duration / (2 * STRIP_FRAMES))
            poster = None
            for fraction in (POSTER_AT, *POSTER_FALLBACKS):
                frame = _frame_near(container, stream, duration * fraction, slack)
                if frame is None:
                    continue
                image = _picture(frame, sar, POSTER_LONG_SIDE)
                if poster is None:
                    poster = image
                if not _is_dark(image):
                    poster = image
                    break
            if poster is None:
                raise MediaError("undecodable")
            tiles = []
            for index in range(STRIP_FRAMES):
                frame = _frame_near(container, stream, duration * (index + 0.5) / STRIP_FRAMES, slack)
                tiles.append(_picture(frame, sar, height=STRIP_TILE_HEIGHT) if frame is not None else None)
    except av.FFmpegError as error:
        raise MediaError("undecodable", str(error)) from error
    tile_size = next((tile.size for tile in tiles if tile is not None), None)
    if tile_size is None:
        tile_size = _fit(poster.width, poster.height, tile_height=STRIP_TILE_HEIGHT)
    strip = Image.new("RGB", (tile_size[0] * STRIP_FRAMES, tile_size[1]), (0, 0, 0))
    for index, tile in enumerate(tiles):
        if tile is not None:
            strip.paste(tile.resize(tile_size) if tile.size != tile_size else tile, (index * tile_size[0], 0))
    return _jpeg(poster, 85), _jpeg(strip, 80)


def _frame_near(container, stream, seconds, slack=0.0):
    """A frame at `seconds` or at most `slack` before it: decoding forward from the keyframe the seek lands on,
    within a budget of SEEK_DECODE_LIMIT frames."""
    target = max(0.0, seconds)
    try:
        container.seek(int(target / stream.time_base) + (stream.start_time or 0), stream=stream, backward=True)
    except av.FFmpegError:
        return None
    chosen = None
    decoded = 0
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                chosen = frame
                decoded += 1
                if frame.time is None or frame.time >= target - slack - 0.02 or decoded >= SEEK_DECODE_LIMIT:
                    return chosen
    except (av.FFmpegError, ValueError):
        pass
    return chosen


def _fit(width, height, *, long_side=None, tile_height=None):
    if tile_height:
        return max(2, round(width * tile_height / height)), tile_height
    scale = min(1.0, long_side / max(width, height))
    return max(2, round(width * scale)), max(2, round(height * scale))


def _picture(frame, sar, long_side=None, *, height=None):
    """The frame as an upright RGB image (display aspect and rotation applied), scaled down."""
    width = frame.width * float(sar or 1)
    rotation = int(frame.rotation or 0) % 360
    upright = (frame.height, width) if rotation in (90, 270) else (width, frame.height)
    out_w, out_h = _fit(*upright, long_side=long_side, tile_height=height)
    if rotation in (90, 270):
        out_w, out_h = out_h, out_w
    image = frame.reformat(width=out_w, height=out_h, format="rgb24").to_image()
    if rotation:
        image = image.rotate(rotation, expand=True)
    return image


def _is_dark(image):
    return ImageStat.Stat(image.convert("L")).mean[0] < DARK_FRAME_LUMA


def _jpeg(image, quality):
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------- preview


def preview_size(display_width, display_height, long_side=PREVIEW_LONG_SIDE):
    """(width, height) of the preview: the display aspect kept, the long side at most `long_side`, both even."""
    scale = min(1.0, long_side / max(display_width, display_height))
    return (
        max(2, int(display_width * scale / 2 + 0.5) * 2),
        max(2, int(display_height * scale / 2 + 0.5) * 2),
    )


def preview_arguments(src, dst, *, info):
    """The ffmpeg arguments that make the preview (the benchmark runs exactly these, bare).

    ffmpeg applies the rotation itself (autorotate) before the scale filter, so the size is given upright.
    """
    width, height = preview_size(info["display_width"], info["display_height"])
    arguments = [
        "-y", "-i", str(src),
        "-map", _stream_spec(info, "video"), "-map", f"{_stream_spec(info, 'audio')}?",
        "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
        "-vf", f"scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p",
        "-fpsmax", str(PREVIEW_MAX_FPS),
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(PREVIEW_CRF), "-profile:v", "high",
        "-maxrate", PREVIEW_MAXRATE, "-bufsize", "5000k",
        # A keyframe every 2 s, so the player can seek anywhere quickly.
        "-force_key_frames", "expr:gte(t,n_forced*2)",
        # The fast AAC coder: three times quicker than the default, no audible difference at 128 kb/s.
        "-c:a", "aac", "-aac_coder", "fast", "-b:a", PREVIEW_AUDIO_BITRATE,
        *(["-ac", "2"] if (info.get("audio_channels") or 0) > 2 else []),  # surround is folded to stereo
        "-movflags", "+faststart", "-f", "mp4", str(dst),
    ]
    return arguments


def transcode_preview(src, dst, *, info=None, progress=None, workdir=None) -> dict:
    """Write the web preview of `src` to `dst` (a temporary name first, renamed when complete); returns its probe."""
    info = info or probe(src)
    if not info.get("display_width"):
        raise MediaError(info.get("error") or "undecodable")
    partial = f"{dst}.part"
    try:
        run_ffmpeg(preview_arguments(src, partial, info=info), progress=progress, workdir=workdir)
        result = probe(partial)
        if not result["ok"]:
            raise MediaError("transcode_failed", json.dumps(result)[:300])
        os.replace(partial, dst)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return result


def moov_before_mdat(path):
    """True when an MP4's index (moov) precedes its media data (mdat): the file can start playing at once."""
    order = []
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        offset = 0
        while offset + 8 <= size and len(order) < 64:
            handle.seek(offset)
            header = handle.read(16)
            box_size, box_type = int.from_bytes(header[:4], "big"), header[4:8]
            if box_size == 1:
                box_size = int.from_bytes(header[8:16], "big")
            order.append(box_type)
            if box_size < 8:
                break
            offset += box_size
    return b"moov" in order and b"mdat" in order and order.index(b"moov") < order.index(b"mdat")
