"""Technical checks of a video against its track's and unit's rules, and the plain-language sentence for each.

A check is plain data stored in VideoFile.qc_checks: {"rule": ..., "level": "pass" | "warn" | "fail",
"params": {...}}. The sentence is made when it is shown, in the reader's language: `describe(check, video)`.
Only `fail` blocks submission (videos.slot_problem); `warn` is shown to the entrant and the organizers.

The rules, in report order:

| rule        | fails when                                                   | warns when                          |
|-------------|--------------------------------------------------------------|-------------------------------------|
| file        | the file is empty, not a video, has no picture, won't decode |                                     |
| complete    | the file is cut off (container or decoding stops short)      |                                     |
| video_codec | the picture is not H.264 or HEVC                             |                                     |
| aspect      | wrong orientation (landscape in a vertical unit, square...)  | right orientation, > 2% off 9:16    |
| resolution  | short or long side below the track's minimum (1080 x 1920)   |                                     |
| duration    | an episode outside the unit's range (default 30 s - 15 min); | a trailer outside 15 s - 3 min      |
|             | the full-length version shorter than the episode minimum     |                                     |
| audio       | there is no sound track                                      |                                     |
| loudness    |                                                              | integrated loudness not -24..-14 LUFS |
| silence     |                                                              | a silent stretch of 5 s or more     |
| black       |                                                              | a black stretch of 5 s or more      |
| processing  | the pipeline stalled too often or ffmpeg could not transcode |                                     |

Decisions worth knowing:
- Orientation comes from the unit (if set) or the track; "any" accepts every shape. The aspect tolerance is 2%,
  so 1080x1918 is 9:16; a vertical 3:4 or 9:20 video in a 9:16 unit only warns (the organizers decide).
- Duration: episodes use the unit's range or VIDEO_EPISODE_MIN/MAX_SECONDS; a 0.5 s margin absorbs frame
  rounding (a "30 s" episode at 29.97 fps lasts 29.96 s). The competition's rules give no length for trailers,
  so a trailer is never blocked for its length: outside 15 s - 3 min it warns. The full-length version ("full")
  has the episode minimum and no maximum.
- Sizes are the displayed size: rotation (phones) and non-square pixels are applied first.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.models import VideoOrientation

PASS, WARN, FAIL = "pass", "warn", "fail"
LEVEL_ORDER = {PASS: 0, WARN: 1, FAIL: 2}
ASPECT_TOLERANCE = 0.02
DURATION_MARGIN = 0.5
TRAILER_MIN_SECONDS = 15
TRAILER_MAX_SECONDS = 180
LOUDNESS_MIN = -24.0
LOUDNESS_MAX = -14.0
STRETCH_MIN_SECONDS = 5
ALLOWED_VIDEO_CODECS = ("h264", "hevc")
TRUNCATION_MARGIN = 2.0  # seconds the decoded media may fall short of the declared duration (or 5%, if more)
REQUIRED_RATIO = {VideoOrientation.VERTICAL: (9, 16), VideoOrientation.HORIZONTAL: (16, 9)}
COMMON_RATIOS = [(9, 16), (16, 9), (3, 4), (4, 3), (1, 1), (9, 20), (20, 9), (2, 3), (3, 2), (4, 5), (5, 4),
                 (9, 21), (21, 9), (1, 2), (2, 1)]
CODEC_NAMES = {"h264": "H.264", "hevc": "HEVC (H.265)", "vp9": "VP9", "vp8": "VP8", "av1": "AV1", "prores": "ProRes",
               "mpeg4": "MPEG-4 Part 2", "mpeg2video": "MPEG-2", "mjpeg": "Motion JPEG", "dnxhd": "DNxHD"}


def check(rule, level, **params):
    return {"rule": rule, "level": level, "params": params}


def worst(checks):
    """The report's level: the worst of its checks ("" for no checks)."""
    levels = [item["level"] for item in checks]
    return max(levels, key=LEVEL_ORDER.__getitem__) if levels else ""


# ------------------------------------------------------------------------------------------------ requirements


def requirements_for(video):
    """What this video must meet, from its entry's unit and track (and the settings' defaults)."""
    from submissions.videos import parse_slot

    entry = video.entry
    unit, track = entry.unit, entry.track
    kind, _number = parse_slot(video.slot)
    minimum = unit.episode_min_seconds or settings.VIDEO_EPISODE_MIN_SECONDS
    maximum = unit.episode_max_seconds or settings.VIDEO_EPISODE_MAX_SECONDS
    minimum = min(minimum, maximum)
    if kind == "trailer":
        duration = {"min": TRAILER_MIN_SECONDS, "max": TRAILER_MAX_SECONDS, "level": WARN}
    elif kind == "full":
        duration = {"min": minimum, "max": None, "level": FAIL}
    else:
        duration = {"min": minimum, "max": maximum, "level": FAIL}
    return {
        "kind": kind,
        "orientation": unit.video_orientation or track.video_orientation or VideoOrientation.VERTICAL,
        "min_short": track.video_min_short_side,
        "min_long": track.video_min_long_side,
        "duration": duration,
    }


# ------------------------------------------------------------------------------------------------ evaluation


def failure(code, **params):
    """The one check recorded for a file the pipeline cannot use (pipeline.py sets status FAILED with it)."""
    if code == "truncated":
        return check("complete", FAIL, truncated=True, **params)
    if code in {"stalled", "transcode_failed"}:
        return check("processing", FAIL, error=code, **params)
    return check("file", FAIL, error=code, **params)


def evaluate(info, analysis, rules):
    """Every check for a readable video: `info` from media.probe, `analysis` from media.analyse_audio_video."""
    checks = [check("file", PASS, error="")]
    checks.append(_complete(info, analysis))
    checks.append(_codec(info))
    checks.append(_aspect(info, rules))
    checks.append(_resolution(info, rules))
    checks.append(_duration(info, rules))
    checks.append(check("audio", PASS if info["has_audio"] else FAIL, codec=info.get("audio_codec") or ""))
    if info["has_audio"]:
        checks.append(_loudness(analysis))
        checks.append(_stretches("silence", analysis.get("silence") or []))
    checks.append(_stretches("black", analysis.get("black") or []))
    return checks


def _complete(info, analysis):
    declared = info.get("duration") or 0.0
    decoded = analysis.get("decoded_duration")
    short = decoded is not None and declared - decoded > max(TRUNCATION_MARGIN, declared * 0.05)
    level = FAIL if info.get("truncated") or short else PASS
    return check("complete", level, truncated=bool(info.get("truncated")), declared=declared, decoded=decoded)


def _codec(info):
    codec = info.get("video_codec") or ""
    return check("video_codec", PASS if codec in ALLOWED_VIDEO_CODECS else FAIL, codec=codec)


def orientation_of(width, height):
    ratio = width / height
    if ratio > 1 + ASPECT_TOLERANCE:
        return "horizontal"
    if ratio < 1 - ASPECT_TOLERANCE:
        return "vertical"
    return "square"


def _aspect(info, rules):
    width, height = info["display_width"], info["display_height"]
    found = orientation_of(width, height)
    required = rules["orientation"]
    params = {"width": width, "height": height, "orientation": found, "required": str(required)}
    if required not in REQUIRED_RATIO:
        return check("aspect", PASS, **params)
    target_w, target_h = REQUIRED_RATIO[required]
    params["required_ratio"] = f"{target_w}:{target_h}"
    if found != required:
        return check("aspect", FAIL, **params)
    off = abs((width / height) / (target_w / target_h) - 1)
    return check("aspect", PASS if off <= ASPECT_TOLERANCE else WARN, **params)


def _resolution(info, rules):
    width, height = info["display_width"], info["display_height"]
    short, long_ = sorted((width, height))
    ok = short >= rules["min_short"] and long_ >= rules["min_long"]
    return check(
        "resolution", PASS if ok else FAIL, width=width, height=height,
        min_short=rules["min_short"], min_long=rules["min_long"],
    )


def _duration(info, rules):
    seconds = info.get("duration") or 0.0
    limits = rules["duration"]
    too_short = seconds + DURATION_MARGIN < limits["min"]
    too_long = limits["max"] is not None and seconds - DURATION_MARGIN > limits["max"]
    level = limits["level"] if too_short or too_long else PASS
    return check("duration", level, seconds=seconds, min=limits["min"], max=limits["max"], kind=rules["kind"])


def _loudness(analysis):
    lufs = analysis.get("loudness")
    level = PASS if lufs is not None and LOUDNESS_MIN <= lufs <= LOUDNESS_MAX else WARN
    return check("loudness", level, lufs=lufs, min=LOUDNESS_MIN, max=LOUDNESS_MAX)


def _stretches(rule, spans):
    spans = [span for span in spans if span[1] - span[0] >= STRETCH_MIN_SECONDS - 0.01]
    longest = max(spans, key=lambda span: span[1] - span[0]) if spans else None
    return check(
        rule, WARN if spans else PASS, stretches=spans[:20], count=len(spans), longest=longest,
        min_seconds=STRETCH_MIN_SECONDS,
    )


# ------------------------------------------------------------------------------------------------ sentences


def subject(video):
    """How a sentence names the video: "Episode 3", "The trailer", "The full-length version"."""
    from submissions.videos import parse_slot

    if video is None:
        return _("This video")
    try:
        kind, number = parse_slot(video.slot)
    except ValueError:
        return _("This video")
    if kind == "episode":
        return _("Episode %(number)s") % {"number": number}
    return _("The trailer") if kind == "trailer" else _("The full-length version")


def format_duration(seconds):
    """5 s, 1 min 30 s, 15 min, 1 h 2 min: in the active language."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes} if minutes else _("%(h)s h") % {"h": hours}
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": secs} if secs else _("%(m)s min") % {"m": minutes}
    return _("%(s)s s") % {"s": secs}


def timestamp(seconds):
    """A position in the video as m:ss (or h:mm:ss)."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def ratio_label(width, height):
    """9:16 for 1080x1920 (and 406x720); the nearest common ratio within 1%, else a decimal like 0.62:1."""
    value = width / height
    for w, h in COMMON_RATIOS:
        if abs(value / (w / h) - 1) <= 0.01:
            return f"{w}:{h}"
    return f"{value:.2f}:1"


def codec_label(codec):
    return CODEC_NAMES.get(codec, (codec or "?").upper())


def size_label(width, height):
    return f"{width}×{height}"


def describe(check, video=None):
    """One plain-language sentence for a check, in the active language, e.g.
    "Episode 3 is 1920×1080 landscape; this unit requires vertical 9:16."
    `video` (a VideoFile, or None) only names the subject."""
    rule, level, params = check["rule"], check["level"], check.get("params") or {}
    describer = _DESCRIBERS.get(rule)
    if describer is None:
        return _("%(video)s: %(rule)s: %(level)s.") % {"video": subject(video), "rule": rule, "level": level}
    return describer(level, params, subject(video))


def report(video):
    """[(check, sentence)] for a video's stored checks, worst first, then in report order."""
    checks = list(video.qc_checks or [])
    ordered = sorted(enumerate(checks), key=lambda pair: (-LEVEL_ORDER.get(pair[1]["level"], 0), pair[0]))
    return [(item, describe(item, video)) for _index, item in ordered]


FILE_ERRORS = {
    "empty": lambda v: _("%(video)s: the file is empty (0 bytes). Upload it again.") % {"video": v},
    "not_video": lambda v: _(
        "%(video)s: the file is not a video the portal can read (judged by its content, not its name)."
    ) % {"video": v},
    "no_video_stream": lambda v: _("%(video)s: the file contains no picture, only sound or nothing at all.")
    % {"video": v},
    "undecodable": lambda v: _(
        "%(video)s: the picture cannot be decoded; the file may be damaged. Export it again and upload the new file."
    ) % {"video": v},
    "missing": lambda v: _("%(video)s: the uploaded file is missing from storage. Upload it again.") % {"video": v},
}


def _file(level, params, video):
    error = params.get("error") or ""
    if level == PASS or not error:
        return _("%(video)s: the file was read without problems.") % {"video": video}
    if error in FILE_ERRORS:
        return FILE_ERRORS[error](video)
    return _("%(video)s: the file could not be processed (%(error)s).") % {"video": video, "error": error}


def _complete_sentence(level, params, video):
    if level == PASS:
        return _("%(video)s: the file is complete.") % {"video": video}
    decoded, declared = params.get("decoded"), params.get("declared")
    if not params.get("truncated") and decoded is not None and declared:
        return _(
            "%(video)s: only %(decoded)s of %(declared)s could be read; the file is incomplete or damaged. "
            "Upload it again."
        ) % {"video": video, "decoded": format_duration(decoded), "declared": format_duration(declared)}
    return _("%(video)s: the file is incomplete (it was cut off, probably during the upload). Upload it again.") % {
        "video": video
    }


def _codec_sentence(level, params, video):
    values = {"video": video, "codec": codec_label(params.get("codec"))}
    if level == PASS:
        return _("%(video)s is encoded as %(codec)s.") % values
    return _("%(video)s is encoded as %(codec)s; H.264 or HEVC (H.265) is required.") % values


def _aspect_sentence(level, params, video):
    width, height = params["width"], params["height"]
    values = {
        "video": video, "size": size_label(width, height), "ratio": ratio_label(width, height),
        "required_ratio": params.get("required_ratio", ""),
    }
    required, found = params.get("required"), params.get("orientation")
    if level == PASS:
        if required not in REQUIRED_RATIO:
            return _("%(video)s is %(size)s; this unit accepts any orientation.") % values
        return _("%(video)s is %(size)s (%(ratio)s), as this unit requires.") % values
    if level == WARN:
        return _(
            "%(video)s is %(size)s (%(ratio)s); this unit asks for %(required_ratio)s, so it may be shown with bars."
        ) % values
    sentences = {
        ("horizontal", "vertical"): _(
            "%(video)s is %(size)s landscape; this unit requires vertical %(required_ratio)s."
        ),
        ("square", "vertical"): _("%(video)s is %(size)s square; this unit requires vertical %(required_ratio)s."),
        ("vertical", "horizontal"): _(
            "%(video)s is %(size)s vertical; this unit requires horizontal %(required_ratio)s."
        ),
        ("square", "horizontal"): _(
            "%(video)s is %(size)s square; this unit requires horizontal %(required_ratio)s."
        ),
    }
    return sentences.get((found, required), sentences[("horizontal", "vertical")]) % values


def _resolution_sentence(level, params, video):
    width, height = params["width"], params["height"]
    short, long_ = params["min_short"], params["min_long"]
    minimum = (short, long_) if width <= height else (long_, short)
    values = {"video": video, "size": size_label(width, height), "minimum": size_label(*minimum)}
    if level == PASS:
        return _("%(video)s is %(size)s; the minimum is %(minimum)s.") % values
    return _("%(video)s is %(size)s; at least %(minimum)s is required.") % values


def _duration_sentence(level, params, video):
    values = {
        "video": video, "duration": format_duration(params.get("seconds")),
        "min": format_duration(params.get("min")),
        "max": format_duration(params.get("max")) if params.get("max") is not None else "",
    }
    if level == PASS:
        return _("%(video)s lasts %(duration)s.") % values
    kind = params.get("kind")
    if kind == "trailer":
        return _("%(video)s lasts %(duration)s; trailers usually last from %(min)s to %(max)s.") % values
    if params.get("max") is None:
        return _("%(video)s lasts %(duration)s; it must last at least %(min)s.") % values
    return _("%(video)s lasts %(duration)s; episodes must last from %(min)s to %(max)s.") % values


def _audio_sentence(level, params, video):
    if level == PASS:
        return _("%(video)s has a sound track.") % {"video": video}
    return _("%(video)s has no sound track; a sound track is required.") % {"video": video}


def _loudness_sentence(level, params, video):
    lufs = params.get("lufs")
    values = {"video": video, "lufs": f"{lufs:.1f}" if lufs is not None else "?",
              "min": f"{params.get('min', LOUDNESS_MIN):g}", "max": f"{params.get('max', LOUDNESS_MAX):g}"}
    if level == PASS:
        return _("%(video)s has a loudness of %(lufs)s LUFS, within %(min)s to %(max)s LUFS.") % values
    if lufs is not None and lufs > params.get("max", LOUDNESS_MAX):
        return _("%(video)s is too loud: %(lufs)s LUFS; between %(min)s and %(max)s LUFS is expected.") % values
    return _("%(video)s is too quiet: %(lufs)s LUFS; between %(min)s and %(max)s LUFS is expected.") % values


def _stretch_sentence(level, params, video, *, silent):
    minimum = format_duration(params.get("min_seconds", STRETCH_MIN_SECONDS))
    if level == PASS:
        if silent:
            return _("%(video)s has no silent stretch of %(min)s or more.") % {"video": video, "min": minimum}
        return _("%(video)s has no black stretch of %(min)s or more.") % {"video": video, "min": minimum}
    start, end = params.get("longest") or [0, 0]
    count = params.get("count") or 1
    values = {"video": video, "length": format_duration(end - start), "start": timestamp(start), "count": count,
              "min": minimum}
    if count == 1:
        if silent:
            return _("%(video)s is silent for %(length)s from %(start)s.") % values
        return _("%(video)s shows a black picture for %(length)s from %(start)s.") % values
    if silent:
        return ngettext(
            "%(video)s has %(count)s silent stretch of %(min)s or more; the longest lasts %(length)s from %(start)s.",
            "%(video)s has %(count)s silent stretches of %(min)s or more; the longest lasts %(length)s from %(start)s.",
            count,
        ) % values
    return ngettext(
        "%(video)s has %(count)s black stretch of %(min)s or more; the longest lasts %(length)s from %(start)s.",
        "%(video)s has %(count)s black stretches of %(min)s or more; the longest lasts %(length)s from %(start)s.",
        count,
    ) % values


def _processing_sentence(level, params, video):
    if params.get("error") == "stalled":
        attempts = params.get("attempts") or 0
        return ngettext(
            "%(video)s: processing got stuck and was stopped after %(attempts)s attempt. "
            "Upload the file again, or ask the organizers for help.",
            "%(video)s: processing got stuck and was stopped after %(attempts)s attempts. "
            "Upload the file again, or ask the organizers for help.",
            attempts,
        ) % {"video": video, "attempts": attempts}
    return _(
        "%(video)s: the web preview could not be made from this file. Export it again (H.264 MP4) and upload it."
    ) % {"video": video}


_DESCRIBERS = {
    "file": _file,
    "complete": _complete_sentence,
    "video_codec": _codec_sentence,
    "aspect": _aspect_sentence,
    "resolution": _resolution_sentence,
    "duration": _duration_sentence,
    "audio": _audio_sentence,
    "loudness": _loudness_sentence,
    "silence": lambda level, params, video: _stretch_sentence(level, params, video, silent=True),
    "black": lambda level, params, video: _stretch_sentence(level, params, video, silent=False),
    "processing": _processing_sentence,
}
