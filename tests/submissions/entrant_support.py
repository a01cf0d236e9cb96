"""Helpers shared by the entrant page and file view tests: files made with Pillow, form data for each step."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from portal.models import DEFAULT_REQUIRED_MATERIALS, TrackKind


def require_default_materials(competition):
    """The factories make tracks with no required materials; give them the portal's defaults."""
    for track in competition.tracks.all():
        track.required_materials = [str(code) for code in DEFAULT_REQUIRED_MATERIALS[track.kind]]
        track.save()


def story_track(competition):
    return competition.tracks.get(kind=TrackKind.STORY)


def image_bytes(width=1080, height=1920, fmt="PNG", exif=True, color=(200, 120, 40)):
    """A real image; with `exif`, it carries a camera make and GPS position that must not be stored."""
    image = Image.new("RGB", (width, height), color)
    buffer = io.BytesIO()
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam Inc."  # Make
        data[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}  # GPS IFD: latitude
        extra["exif"] = data.tobytes()
    image.save(buffer, format=fmt, **extra)
    return buffer.getvalue()


def upload(name, data, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an image")
    return buffer.getvalue()


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def step_url(entry, step):
    return reverse("submissions:entry_step", args=[entry.pk, step])


def overview_url(entry):
    return reverse("submissions:entry_overview", args=[entry.pk])


def upload_url(entry, kind):
    return reverse("submissions:material_upload", args=[entry.pk, kind])


def basics_data(entry, **changes):
    data = {
        "version": entry.version,
        "title": entry.title,
        "title_en": entry.title_en,
        "logline": entry.logline,
        "logline_en": entry.logline_en,
        "synopsis": entry.synopsis,
        "synopsis_en": entry.synopsis_en,
        "synopsis_long": entry.synopsis_long,
        "synopsis_long_en": entry.synopsis_long_en,
        "action": "save",
    }
    if entry.status == "draft":
        data.update(track=entry.track_id, unit=entry.unit_id)
    data.update(changes)
    return data


def details_data(entry, platforms=(), **changes):
    data = {
        "version": entry.version,
        "genres": ["drama"],
        "languages": ["zh"],
        "country": "中国",
        "action": "save",
    }
    if not entry.is_story:
        data.update(
            subtitle_languages=["zh-en"], completion_date="2026-03-01", episode_count="12",
            episode_runtime_seconds="2:30", total_runtime_seconds="30:00", filing_number="",
        )
        data.update(formset("platforms", [{"name": name, "url": url} for name, url in platforms], extra=2))
    data.update(changes)
    return data


def formset(prefix, rows, initial=0, extra=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + extra),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def credits_data(entry, rows, initial=0, **changes):
    data = {"version": entry.version, "action": "save", **formset("credits", rows, initial=initial)}
    data.update(changes)
    return data


def aigc_data(entry, **changes):
    data = {"version": entry.version, "aigc_used": "no", "aigc_tools": "", "aigc_statement": "", "action": "save"}
    data.update(changes)
    return data


def declarations_data(entry, **changes):
    data = {"version": entry.version, "originality": "on", "rights": "on", "terms": "on", "action": "save"}
    data.update(changes)
    return data
