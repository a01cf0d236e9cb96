"""Laurel images for winners: a drawn wreath around the award's name (Chinese and English), the competition and
its edition year, as a transparent PNG that reads on light and dark backgrounds.

Made with Pillow on first request and kept in storage under a name fixed by (version, entry, award), so a later
request serves the same file. Fonts: a CJK-capable TrueType font found on the machine (WenQuanYi, Noto CJK, …);
without one, Pillow's own font draws what it can (it never fails for want of a font).
"""

import functools
import io
import logging
import math
import os

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

SIZE = 1200
LAUREL_CACHE_SECONDS = 24 * 3600
SUPERSAMPLE = 2  # drawn at twice the size and scaled down: smooth leaf edges
INK = (184, 134, 11, 255)  # dark goldenrod: legible on white paper and on navy
INK_SOFT = (184, 134, 11, 200)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def laurel_name(*, version, entry, award_slug) -> str:
    """The storage name of one laurel: the same (version, entry, award) always gives the same name."""
    return f"laurels/v{version.pk}/e{entry.pk}-{award_slug}.png"


def download_name(entry, award_slug) -> str:
    return f"{entry.number}-{award_slug}.png"


@functools.cache
def cjk_font_path():
    """The first CJK-capable font file found (LAUREL_FONT setting first), or None."""
    configured = getattr(settings, "LAUREL_FONT", "")
    for path in (configured, *FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    return None


def _font(size):
    path = cjk_font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            logger.warning("Laurel font %s could not be loaded; using Pillow's default font", path)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # an old Pillow or one built without FreeType
        return ImageFont.load_default()


def _text_width(draw, text, font):
    try:
        return draw.textlength(text, font=font)
    except (UnicodeError, OSError, ValueError):
        return None


def _fitting_font(draw, text, size, max_width):
    """The largest font at most `size` in which `text` fits `max_width` (or the smallest tried)."""
    font = _font(size)
    while size > 12:
        width = _text_width(draw, text, font)
        if width is not None and width <= max_width:
            break
        size = int(size * 0.9)
        font = _font(size)
    return font


def _centred_text(draw, text, y, size, max_width, fill, canvas):
    """Draw one centred line whose top is at y; returns the y below it. A line the font cannot draw is skipped."""
    if not text:
        return y
    font = _fitting_font(draw, text, size, max_width)
    try:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = (canvas - (right - left)) / 2 - left
        draw.text((x, y - top), text, font=font, fill=fill)
        return y + (bottom - top)
    except (UnicodeError, OSError, ValueError):
        logger.warning("The laurel font cannot draw %r; line left out", text)
        return y


def _leaf(cx, cy, length, width, angle):
    """The polygon of one leaf: an ellipse `length` x `width` centred at (cx, cy), its long axis at `angle`."""
    cos, sin = math.cos(angle), math.sin(angle)
    points = []
    for step in range(24):
        t = 2 * math.pi * step / 24
        x, y = length / 2 * math.cos(t), width / 2 * math.sin(t)
        points.append((cx + x * cos - y * sin, cy + x * sin + y * cos))
    return points


def _branch(draw, centre, radius, side, scale):
    """One branch of the wreath: a stem along a circle from the bottom up one side, leaves in pairs along it."""
    cx, cy = centre
    start, end = 100, 250  # degrees from the positive x axis, measured clockwise (y grows downwards)
    stem = []
    for step in range(61):
        degrees = start + (end - start) * step / 60
        angle = math.radians(degrees if side < 0 else 180 - degrees)
        stem.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.line(stem, fill=INK, width=int(7 * scale), joint="curve")
    leaves = 11
    for index in range(leaves):
        fraction = (index + 0.5) / leaves
        degrees = start + (end - start) * fraction
        angle = math.radians(degrees if side < 0 else 180 - degrees)
        px, py = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        # The tangent of the stem, pointing the way the branch grows (upwards).
        tangent = angle + (math.pi / 2 if side < 0 else -math.pi / 2)
        length = (88 - 30 * fraction) * scale
        width = length * 0.42
        for offset in (-1, 1):  # one leaf outside the circle, one inside, both leaning along the stem
            lean = tangent + offset * math.radians(32)
            lx = px + math.cos(lean) * length * 0.45 + offset * math.cos(angle) * 6 * scale
            ly = py + math.sin(lean) * length * 0.45 + offset * math.sin(angle) * 6 * scale
            draw.polygon(_leaf(lx, ly, length, width, lean), fill=INK)
    # A leaf at the tip, along the stem.
    tip = math.radians(end if side < 0 else 180 - end)
    tx, ty = cx + radius * math.cos(tip), cy + radius * math.sin(tip)
    tangent = tip + (math.pi / 2 if side < 0 else -math.pi / 2)
    length = 60 * scale
    draw.polygon(
        _leaf(
            tx + math.cos(tangent) * length * 0.4, ty + math.sin(tangent) * length * 0.4, length, length * 0.4, tangent
        ),
        fill=INK,
    )


def render_laurel(*, competition_zh, competition_en, year, award_zh, award_en, size=SIZE) -> bytes:
    """The laurel as PNG bytes, `size` x `size`, transparent background."""
    scale = SUPERSAMPLE * size / SIZE
    canvas = size * SUPERSAMPLE
    image = Image.new("RGBA", (canvas, canvas), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre = (canvas / 2, canvas / 2 + 20 * scale)
    for side in (-1, 1):
        _branch(draw, centre, 470 * scale, side, scale)

    text_width = 560 * scale
    y = 330 * scale
    y = _centred_text(draw, str(year), y, int(56 * scale), text_width, INK, canvas) + 24 * scale
    y = _centred_text(draw, competition_zh or competition_en, y, int(52 * scale), text_width, INK, canvas) + 14 * scale
    if competition_en and competition_en != competition_zh:
        y = _centred_text(draw, competition_en.upper(), y, int(30 * scale), text_width, INK_SOFT, canvas) + 40 * scale
    else:
        y += 26 * scale
    draw.line(
        [(canvas / 2 - 120 * scale, y), (canvas / 2 + 120 * scale, y)], fill=INK_SOFT, width=max(2, int(3 * scale))
    )
    y += 44 * scale
    y = _centred_text(draw, award_zh or award_en, y, int(96 * scale), text_width, INK, canvas) + 26 * scale
    if award_en and award_en != award_zh:
        y = _centred_text(draw, award_en.upper(), y, int(44 * scale), text_width, INK, canvas) + 30 * scale
    _centred_text(draw, "获奖 · WINNER", y, int(30 * scale), text_width, INK_SOFT, canvas)

    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def laurel_for(*, version, entry, award) -> str:
    """The storage name of the laurel for `award` (a judging.public.PublicAward) won by `entry` in `version`,
    made and stored on first use."""
    name = laurel_name(version=version, entry=entry, award_slug=award.slug)
    # A laurel never changes once drawn (its name is fixed by a published version), so once it is known to be in
    # storage the cache says so: no storage round trip (an S3 HEAD request) on every download.
    known = f"judging:laurel:v1:{name}"
    if cache.get(known):
        return name
    if default_storage.exists(name):
        cache.set(known, True, LAUREL_CACHE_SECONDS)
        return name
    competition = entry.competition
    data = render_laurel(
        competition_zh=competition.name_zh,
        competition_en=competition.name_en,
        year=competition.edition_year,
        award_zh=award.name_zh,
        award_en=award.name_en,
    )
    if default_storage.exists(name):  # a parallel request made it meanwhile
        return name
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # lost a race to a parallel request: keep the one with the fixed name
        default_storage.delete(saved)
    cache.set(known, True, LAUREL_CACHE_SECONDS)
    return name
