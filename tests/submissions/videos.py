"""Small real video files for the pipeline's tests, made with PyAV (libx264 and AAC), and the bad inputs.

Every file is made once per test session and cached (`sample(kind)` gives its path; copy it before handing it
to code that moves or deletes files, e.g. register_video). Pictures are a coloured background with a moving
yellow bar and a red marker in the top-left corner of the picture as it should be seen (so rotation can be
checked); sound is a 375 Hz tone (about -18 LUFS at the default amplitude) or digital silence.
"""

import array
import atexit
import math
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw

SAMPLE_RATE = 48000
TONE_PERIOD = 128  # samples: 375 Hz at 48 kHz; 1024-sample AAC frames hold exactly 8 periods

_CACHE_DIR = None


def _cache_dir():
    global _CACHE_DIR
    if _CACHE_DIR is None:
        _CACHE_DIR = Path(tempfile.mkdtemp(prefix="zhuiguang-test-videos-"))
        atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)
    return _CACHE_DIR


def picture(width, height, index, *, black=False, rotation=0):
    """One frame as a PIL image in display orientation, rotated into the coded orientation when needed."""
    if black:
        return Image.new("RGB", (width, height) if rotation in (0, 180) else (height, width), (0, 0, 0))
    display = (width, height) if rotation in (0, 180) else (height, width)
    image = Image.new("RGB", display, (40 + (index * 13) % 60, 70, 140))
    draw = ImageDraw.Draw(image)
    w, h = display
    x = (index * w // 12) % w
    draw.rectangle([x, h // 3, x + w // 5, h // 2], fill=(240, 200, 60))
    draw.rectangle([0, 0, w // 6, h // 10], fill=(230, 30, 30))  # the marker: top-left as seen
    if rotation:
        # The file stores the picture rotated; its display matrix says to turn it back (counter-clockwise).
        image = image.rotate(-rotation, expand=True)
    return image


def write_video(
    path, *, width=1080, height=1920, seconds=31.0, fps=1, audio="tone", amplitude=0.2, black=None,
    rotation=0, faststart=False, preset="ultrafast", crf=30, gop=None, loop_seconds=None,
):
    """Write an MP4. `width`/`height` are the coded size; `rotation` (counter-clockwise degrees, as PyAV reads it
    back) turns it for display. `audio` is "tone", "silence" or None (no audio stream). `black` is a (start, end)
    range of seconds shown as black picture. With `loop_seconds`, only that much picture is encoded (one closed
    group of pictures) and its packets are repeated to the full length: a long, full-frame-rate file that costs
    almost nothing to make but everything to decode and transcode."""
    path = Path(path)
    options = {"movflags": "+faststart"} if faststart else {}
    frame_count = max(1, round(seconds * fps))
    rate = Fraction(fps).limit_denominator(1000)
    block = min(frame_count, round(loop_seconds * fps)) if loop_seconds else frame_count
    gop = block if loop_seconds else gop
    with av.open(str(path), "w", format="mp4", options=options) as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": preset, "crf": str(crf), **({"g": str(gop), "bf": "0"} if gop else {})}
        if rotation:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if audio else None
        if sound is not None:
            sound.bit_rate = 64000
        cache = {}
        encoded = []
        for index in range(block):
            moment = index / fps
            is_black = bool(black and black[0] <= moment < black[1])
            key = "black" if is_black else index % 24
            if key not in cache:
                image = picture(width, height, index, black=is_black, rotation=rotation)
                cache[key] = av.VideoFrame.from_image(image).reformat(format="yuv420p")
            frame = cache[key]
            frame.pts = index
            encoded += video.encode(frame)
        encoded += video.encode()
        if block == frame_count:
            for packet in encoded:
                out.mux(packet)
        else:
            pieces = [(bytes(packet), packet.pts, packet.dts, packet.is_keyframe) for packet in encoded]
            for start in range(0, frame_count, block):
                for data, pts, dts, keyframe in pieces:
                    if start + pts >= frame_count:
                        continue
                    packet = av.Packet(data)
                    packet.pts, packet.dts, packet.duration = start + pts, start + dts, 1
                    packet.time_base = 1 / rate
                    packet.is_keyframe = keyframe
                    packet.stream = video
                    out.mux(packet)
        if sound is not None:
            _write_audio(out, sound, seconds, 0.0 if audio == "silence" else amplitude)
    return path


def _tone_frame(amplitude):
    samples = array.array("f", (amplitude * math.sin(2 * math.pi * n / TONE_PERIOD) for n in range(1024)))
    frame = av.AudioFrame(format="flt", layout="mono", samples=1024)
    frame.planes[0].update(samples.tobytes())
    frame.sample_rate = SAMPLE_RATE
    return frame


def _write_audio(out, sound, seconds, amplitude):
    total = int(seconds * SAMPLE_RATE)
    if seconds <= 120:
        position = 0
        while position < total:
            frame = _tone_frame(amplitude)
            frame.pts = position
            position += 1024
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
        return
    # Long files: encode a few seconds, then repeat one steady second of packets (a periodic tone encodes to
    # the same packets), which is a hundred times faster than encoding twenty minutes of sound.
    packets = []
    for index in range(3 * SAMPLE_RATE // 1024):
        frame = _tone_frame(amplitude)
        frame.pts = index * 1024
        packets += [(bytes(packet), packet.pts) for packet in sound.encode(frame)]
    block = [data for data, pts in packets if pts is not None and 1024 * 20 <= pts < 1024 * 67]  # 47 frames
    pts = 0
    while pts < total:
        for data in block:
            packet = av.Packet(data)
            packet.pts = packet.dts = pts
            packet.duration = 1024
            packet.time_base = Fraction(1, SAMPLE_RATE)
            packet.stream = sound
            out.mux(packet)
            pts += 1024


# ------------------------------------------------------------------------------------------- the named samples

def _vertical(path):
    return write_video(path)


def _vertical_short(path):
    return write_video(path, seconds=3, fps=2)


def _landscape(path):
    return write_video(path, width=1920, height=1080)


def _rotated(path):
    # Stored 1920x1080 with a 90-degree display matrix, as phones record portrait video: seen as 1080x1920.
    return write_video(path, width=1920, height=1080, rotation=90, seconds=3, fps=2)


def _no_audio(path):
    return write_video(path, audio=None)


def _silent_audio(path):
    return write_video(path, audio="silence")


def _quiet(path):
    return write_video(path, amplitude=0.01)


def _black_start(path):
    return write_video(path, black=(0, 8))


def _five_seconds(path):
    return write_video(path, seconds=5)


def _twenty_minutes(path):
    # Cheap: tiny pictures, one a second. The duration is what the checks look at.
    return write_video(path, width=64, height=112, seconds=20 * 60, fps=1)


def _low_resolution(path):
    return write_video(path, width=720, height=1280)


def _text_named_mp4(path):
    path.write_text("This is not a video, whatever its name says.\n" * 20)
    return path


def _zero_bytes(path):
    path.write_bytes(b"")
    return path


def _truncated(path):
    """A camera-style MP4 (index at the end) cut at 60%: the index never arrived."""
    full = write_video(path.with_name("full-" + path.name), seconds=10, fps=2)
    data = full.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    full.unlink()
    return path


def _truncated_faststart(path):
    """An MP4 with its index first, cut at 60%: it opens, but the media data stops short."""
    full = write_video(path.with_name("full-" + path.name), seconds=10, fps=2, faststart=True)
    data = full.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    full.unlink()
    return path


def _audio_only(path):
    with av.open(str(path), "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        _write_audio(out, sound, 10, 0.2)
    return path


def _music_with_cover(path):
    """A music file as phones and music apps save it: AAC sound and a cover picture (a still "video" stream)."""
    with av.open(str(path), "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        cover = out.add_stream("mjpeg", rate=1)
        cover.width, cover.height, cover.pix_fmt = 300, 300, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        frame = av.VideoFrame.from_image(Image.new("RGB", (300, 300), (200, 40, 90))).reformat(format="yuvj420p")
        frame.pts = 0
        for packet in [*cover.encode(frame), *cover.encode()]:
            out.mux(packet)
        _write_audio(out, sound, 10, 0.2)
    return path


def _long_transcode(path):
    # 25 fps for 60 s, cheap to make: for catching a worker in the middle of a transcode.
    return write_video(path, width=720, height=1280, seconds=60, fps=25, loop_seconds=2)


SAMPLES = {
    "vertical": _vertical,               # 1080x1920, 31 s, 1 fps, tone: passes every check
    "vertical_short": _vertical_short,   # 1080x1920, 3 s, 2 fps, tone: quick for pipeline tests
    "landscape": _landscape,             # 1920x1080, 31 s
    "rotated": _rotated,                 # coded 1920x1080, rotated 90: vertical on screen
    "no_audio": _no_audio,               # vertical, no audio stream
    "silent_audio": _silent_audio,       # vertical, an audio stream of digital silence
    "quiet": _quiet,                     # vertical, a tone around -44 LUFS
    "black_start": _black_start,         # vertical, black picture for the first 8 s
    "five_seconds": _five_seconds,       # vertical, 5 s
    "twenty_minutes": _twenty_minutes,   # 64x112, 20 min, 1 fps
    "low_resolution": _low_resolution,   # 720x1280
    "text": _text_named_mp4,             # a text file named .mp4
    "zero_bytes": _zero_bytes,
    "truncated": _truncated,
    "truncated_faststart": _truncated_faststart,
    "audio_only": _audio_only,           # AAC in MP4, no video stream
    "music_with_cover": _music_with_cover,  # AAC with cover art: a picture, but no video
    "long_transcode": _long_transcode,   # 720x1280, 25 fps, 60 s: takes seconds to transcode
}


def sample(kind) -> Path:
    """The cached path of a named sample (made on first use). Do not modify or move it: copy it."""
    path = _cache_dir() / f"{kind}.mp4"
    if not path.exists():
        partial = path.with_name(f"partial-{kind}.mp4")
        SAMPLES[kind](partial)
        partial.rename(path)
    return path


def copy_of(kind, directory) -> Path:
    """A fresh copy of a sample in `directory`, free to be moved or deleted."""
    target = Path(directory) / f"{kind}-copy.mp4"
    shutil.copyfile(sample(kind), target)
    return target
