"""Builders shared by the service tests: a competition whose tracks require what the real ones do, entries,
and uploads made in memory."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw

from portal.models import DEFAULT_REQUIRED_MATERIALS, TrackKind
from tests.factories import CompetitionFactory, EntryFactory, UnitFactory, UserFactory

# A fixed calendar for tests that travel in time: the competition opens on OPENS and closes on CLOSES.
OPENS = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
CLOSES = datetime(2026, 6, 30, 15, 59, tzinfo=UTC)  # 23:59 in Beijing


def make_competition(**fields):
    """A competition with both tracks requiring the default materials (as portal.services creates them)."""
    fields.setdefault("submission_opens_at", OPENS)
    fields.setdefault("submission_closes_at", CLOSES)
    competition = CompetitionFactory(**fields)
    for track in competition.tracks.all():
        track.required_materials = [str(code) for code in DEFAULT_REQUIRED_MATERIALS[track.kind]]
        track.save()
    return competition


def open_competition(**fields):
    """A competition open now (for tests that do not travel in time)."""
    from django.utils import timezone

    fields.setdefault("submission_opens_at", timezone.now() - timedelta(days=10))
    fields.setdefault("submission_closes_at", timezone.now() + timedelta(days=20))
    return make_competition(**fields)


def make_unit(competition, **fields):
    return UnitFactory(competition=competition, **fields)


def work_entry(unit, owner=None, **fields):
    owner = owner or UserFactory()
    return EntryFactory(unit=unit, owner=owner, **fields)


def story_entry(unit, owner=None, **fields):
    owner = owner or UserFactory()
    return EntryFactory(unit=unit, owner=owner, track=unit.competition.tracks.get(kind=TrackKind.STORY), **fields)


def poster_bytes(size=(1080, 1920), image_format="JPEG", colour="navy", exif=False):
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).ellipse([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2], fill="gold")
    out = io.BytesIO()
    params = {}
    if exif:
        tags = Image.Exif()
        tags[ExifTags.Base.Make] = "SpyCam"
        tags[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0)}
        params["exif"] = tags
    image.save(out, format=image_format, **params)
    return out.getvalue()


def poster(size=(1080, 1920), name="海报.jpg", **kwargs):
    return SimpleUploadedFile(name, poster_bytes(size, **kwargs), content_type="image/jpeg")


def wide_poster(name="横版海报.jpg"):
    return poster((1920, 1080), name=name)


def still(name="剧照.jpg", colour="teal"):
    return poster((1280, 720), name=name, colour=colour)


def pdf_bytes(padding=0):
    return b"%PDF-1.7\n" + b"%" + b"x" * padding + b"\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def pdf(name="document.pdf", padding=0):
    return SimpleUploadedFile(name, pdf_bytes(padding), content_type="application/pdf")


def stored_files(folder=""):
    """Every file under MEDIA_ROOT (or a folder of it), as names relative to MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT)
    base = root / folder
    if not base.exists():
        return set()
    return {str(path.relative_to(root)) for path in base.rglob("*") if path.is_file()}


def before(moment, **delta):
    return moment - timedelta(**(delta or {"seconds": 1}))


def after(moment, **delta):
    return moment + timedelta(**(delta or {"seconds": 1}))
