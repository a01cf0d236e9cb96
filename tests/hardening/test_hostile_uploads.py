"""Every upload field of the portal × the hostile corpus (tests/hardening/corpus.py), through the real views as the
user who owns the field.

Upload fields (every forms.FileField / file input of the project): the entrant's materials — vertical and
horizontal poster, stills, script, entry form, rights letter (submissions material_upload) — and the evidence of an
objection (judging objection_create). Videos go through tus (test_hostile_tus.py). No profile or avatar upload
exists.

For a hostile file: refused with the clear translated message declared below, no 500, nothing stored (no Material,
no Objection, no file in storage), and nothing lost (the earlier valid upload and the entry's typed values stay; an
objection form keeps its typed text). For a hostile *name* on a valid file: accepted, and the stored name is random
and the shown name has no folders, NUL, control or direction marks, and is bounded.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from judging import objections
from judging.models import Objection
from submissions.models import Material
from tests.factories import EntryFactory
from tests.hardening import corpus
from tests.judging.test_public_results import results_world
from tests.submissions.entrant_support import require_default_materials, step_url, upload_url

pytestmark = pytest.mark.django_db

# Which formats each field takes, and what it says about a file of no format it takes.
FAMILIES = {
    "image": ({"image"}, "This file is not a JPEG, PNG or WebP image (judged by its content, not its name)."),
    "script": ({"pdf", "docx"}, "This file is not a PDF, DOCX file (judged by its content, not its name)."),
    "pdf_or_image": (
        {"pdf", "image"},
        "This file is not a JPEG, PNG, WebP or PDF file (judged by its content, not its name).",
    ),
    "evidence": (
        {"pdf", "docx", "image"},
        "This file is not a PDF, DOCX, JPEG, PNG or WebP file (judged by its content, not its name).",
    ),
}
MATERIAL_FIELDS = {
    "poster_vertical": "image",
    "poster_horizontal": "image",
    "stills": "image",
    "script": "script",
    "entry_form": "pdf_or_image",
    "rights_letter": "pdf_or_image",
}

EMPTY = "The submitted file is empty."
BOMB = "The image is far too large in pixels and was refused."
DAMAGED_IMAGE = "The image is damaged or incomplete (it may have been cut off while uploading)."
# kind -> (the format the file pretends to be, the message when the field takes that format)
EXPECTED = {
    "gif_js_polyglot": (None, None),
    "pdf_zip_polyglot": ("pdf", "The PDF has other data attached after its end and was refused."),
    "zip_pdf_polyglot": ("docx", "This archive is not a Word (DOCX) document."),
    "png_huge_dimensions": ("image", BOMB),
    "gif_huge_dimensions": ("image", BOMB),
    "png_decompression_bomb": ("image", BOMB),
    "docx_zip_bomb": ("docx", "This document unpacks to an unreasonable size and was refused."),
    "truncated_jpeg": ("image", DAMAGED_IMAGE),
    "truncated_png": ("image", DAMAGED_IMAGE),
    "truncated_pdf": ("pdf", "The PDF is incomplete (it may have been cut off while uploading)."),
    "truncated_docx": ("docx", "The DOCX file is damaged or incomplete."),
    "truncated_mp4": (None, None),
    "zero_byte_jpeg": ("any", EMPTY),
    "zero_byte_png": ("any", EMPTY),
    "zero_byte_pdf": ("any", EMPTY),
    "zero_byte_docx": ("any", EMPTY),
    "zero_byte_mp4": ("any", EMPTY),
    "html_named_jpg": (None, None),
    "exe_named_pdf": (None, None),
    "svg_with_script": (None, None),
    "svg_named_png": (None, None),
    "html_file": (None, None),
    "mp4_as_image": (None, None),
    "docm_with_macros": (
        "docx", "This Word document contains macros and was refused. Save it as a plain .docx document."
    ),
    "docx_external_template": (
        "docx",
        "This Word document loads a template or an object from another computer or a web address, and was refused.",
    ),
    "docx_external_object": (
        "docx",
        "This Word document loads a template or an object from another computer or a web address, and was refused.",
    ),
    "pdf_with_javascript": ("pdf", "The PDF contains JavaScript or launches a program when opened, and was refused."),
    "pdf_with_escaped_javascript": (
        "pdf", "The PDF contains JavaScript or launches a program when opened, and was refused."
    ),
    "pdf_with_launch": ("pdf", "The PDF contains JavaScript or launches a program when opened, and was refused."),
}
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def expected_message(kind, family):
    takes, not_type = FAMILIES[family]
    pretends, message = EXPECTED[kind]
    if pretends == "any" or pretends in takes:
        return message
    return not_type


def refused_kinds(family):
    tags = {"image"} if family == "image" else {"document"} if family == "script" else {"image", "document"}
    return sorted({name for tag in tags for name in corpus.names(tag, exclude=("name", "neutral"))})


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def as_upload(hostile):
    return SimpleUploadedFile(hostile.filename, hostile.data, content_type=hostile.content_type)


def assert_safe_shown_name(name):
    assert name and not UNSAFE_NAME.search(name), repr(name)
    assert len(name) <= 150


def test_the_corpus_has_at_least_25_kinds_and_every_refused_kind_declares_its_message():
    assert len(corpus.KINDS) + len(corpus.VIDEO_KINDS) >= 25
    refused = set(corpus.names("image", exclude=("name", "neutral"))) | set(
        corpus.names("document", exclude=("name", "neutral"))
    )
    assert refused == set(EXPECTED)


# ------------------------------------------------------------------------------------------------ materials


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


@pytest.fixture
def entry(unit, charlie, client, django_capture_on_commit_callbacks):
    """A draft with typed values and one earlier, valid poster."""
    require_default_materials(unit.competition)
    entry = EntryFactory(unit=unit, owner=charlie, title="追光之夜", logline="一个送外卖的少年。")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            upload_url(entry, "poster_vertical"),
            {"file": SimpleUploadedFile("earlier.jpg", corpus.valid_poster(), "image/jpeg")},
        )
    assert response.status_code == 302
    assert "has been uploaded" in client.get(response["Location"]).content.decode()  # the message is used up
    assert Material.objects.filter(entry=entry, kind="poster_vertical").count() == 1
    return entry


def material_cases():
    return [(field, kind) for field, family in MATERIAL_FIELDS.items() for kind in refused_kinds(family)]


@pytest.mark.parametrize(("field", "kind"), material_cases())
def test_a_hostile_material_is_refused_with_its_message_and_nothing_changes(client, entry, field, kind):
    earlier = Material.objects.get(entry=entry)
    files_before = stored_files()
    rows_before = list(Material.objects.values_list("pk", "file", "size"))
    hostile = corpus.make(kind)

    response = client.post(upload_url(entry, field), {"file": as_upload(hostile)}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == step_url(entry, "materials") + f"#material-{field}"
    html = response.content.decode()
    message = expected_message(kind, MATERIAL_FIELDS[field])
    assert message in html, (kind, field, re.findall(r'class="[^"]*(?:error|alert)[^"]*"[^>]*>([^<]*)', html))
    assert "has been uploaded" not in html
    assert list(Material.objects.values_list("pk", "file", "size")) == rows_before
    assert stored_files() == files_before
    # The earlier poster and the typed values are untouched.
    assert default_storage.exists(earlier.file.name)
    entry.refresh_from_db()
    assert (entry.title, entry.logline) == ("追光之夜", "一个送外卖的少年。")
    assert "追光之夜" in client.get(step_url(entry, "basics")).content.decode()


def name_cases():
    cases = []
    for kind in corpus.names("name"):
        fields = ["poster_vertical", "stills", "entry_form"] if "image" in corpus.KINDS[kind][1] else ["script"]
        cases += [(field, kind) for field in fields]
    return cases


@pytest.mark.parametrize(("field", "kind"), name_cases())
def test_a_hostile_name_is_stored_randomly_and_shown_safely(client, entry, field, kind):
    hostile = corpus.make(kind)
    before = set(Material.objects.values_list("pk", flat=True))
    response = client.post(upload_url(entry, field), {"file": as_upload(hostile)}, follow=True)
    assert response.status_code == 200
    material = Material.objects.exclude(pk__in=before).get()
    assert material.kind == field
    extension = "png" if kind == "png_named_jpg" else "pdf" if field == "script" else "jpg"
    assert re.fullmatch(rf"materials/[0-9a-f]{{32}}\.{extension}", material.file.name), material.file.name
    assert default_storage.exists(material.file.name)
    assert_safe_shown_name(material.original_name)
    html = response.content.decode()
    assert f"“{material.original_name}” has been uploaded.".replace("<", "&lt;").replace(">", "&gt;") in html
    assert "<b>" not in html  # control_characters_name carries markup; it is shown escaped
    if kind == "png_named_jpg":
        assert material.content_type == "image/png"  # the content decides, not the name
    download = client.get(reverse("submissions:material_file", args=[material.pk]))
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert not UNSAFE_NAME.search(disposition.replace("/", "")) and "\\" not in disposition
    assert download["Content-Type"].split(";")[0] == material.content_type


@pytest.mark.parametrize("kind", corpus.names("neutral"))
def test_a_payload_hidden_after_an_image_is_not_stored(client, entry, kind):
    hostile = corpus.make(kind)
    response = client.post(upload_url(entry, "stills"), {"file": as_upload(hostile)}, follow=True)
    assert response.status_code == 200
    material = Material.objects.get(entry=entry, kind="stills")
    with default_storage.open(material.file.name) as stored:
        data = stored.read()
    assert data.startswith(b"\xff\xd8") and len(data) < len(hostile.data)
    assert b"PK\x03\x04" not in data and b"<script" not in data and b"<html" not in data


@pytest.mark.parametrize("field", ["poster_vertical", "script"])
def test_an_oversized_upload_is_refused_by_size(client, entry, settings, field):
    settings.MATERIAL_IMAGE_MAX_BYTES = settings.MATERIAL_DOCUMENT_MAX_BYTES = 1024 * 1024
    files_before = stored_files()
    hostile = corpus.oversized(1024 * 1024)
    response = client.post(upload_url(entry, field), {"file": as_upload(hostile)}, follow=True)
    assert response.status_code == 200
    assert "The file is 1.0 MB; the limit is 1 MB." in response.content.decode()
    assert Material.objects.filter(entry=entry).count() == 1
    assert stored_files() == files_before


def test_too_many_files_in_one_body_is_a_400_not_a_500(client, entry):
    files_before = stored_files()
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    payload = {f"file{n}": SimpleUploadedFile(f"{n}.jpg", b"x", "image/jpeg") for n in range(count)}
    response = client.post(upload_url(entry, "stills"), payload)
    assert response.status_code == 400
    assert Material.objects.filter(entry=entry).count() == 1
    assert stored_files() == files_before


def test_an_oversized_non_file_body_is_a_400_not_a_500(client, entry, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    files_before = stored_files()
    response = client.post(
        upload_url(entry, "stills"),
        {"padding": "x" * (128 * 1024), "file": SimpleUploadedFile("s.jpg", corpus.image((1280, 720)), "image/jpeg")},
    )
    assert response.status_code == 400
    assert Material.objects.filter(entry=entry).count() == 1
    assert stored_files() == files_before


# ------------------------------------------------------------------------------------------------ objection evidence


@pytest.fixture
def world(alice, competition):
    return results_world(competition, alice, per_unit=1, top_k=1)


def objection_url(version, entry):
    return reverse("judging:objection_create", args=[version.round.competition.slug, version.pk, entry.number])


@pytest.mark.parametrize("kind", refused_kinds("evidence"))
def test_hostile_evidence_is_refused_and_the_typed_objection_stays(world, charlie, kind):
    version, target = world["version"], world["advanced"][0]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    files_before = stored_files()
    typed = "评分有误 <script>alert(1)</script>"
    response = client.post(objection_url(version, target), {"text": typed, "evidence": as_upload(corpus.make(kind))})
    assert response.status_code == 200  # the form again, with the error next to the file
    html = response.content.decode()
    assert expected_message(kind, "evidence") in html
    assert "评分有误 &lt;script&gt;alert(1)&lt;/script&gt;" in html  # typed text kept, escaped
    assert "<script>alert(1)" not in html
    assert not Objection.objects.exists()
    assert stored_files() == files_before


@pytest.mark.parametrize("kind", ["traversal_name", "nul_in_name", "rtl_override_name", "long_name",
                                  "traversal_document_name"])
def test_evidence_with_a_hostile_name_is_stored_under_a_random_name(world, charlie, kind):
    version, target = world["version"], world["advanced"][0]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    response = client.post(objection_url(version, target), {"text": "有异议", "evidence": as_upload(corpus.make(kind))})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert re.fullmatch(r"objections/[0-9a-f]{32}\.(jpg|pdf)", objection.evidence.name), objection.evidence.name
    assert default_storage.exists(objection.evidence.name)


def test_oversized_evidence_is_refused_by_size(world, charlie, monkeypatch):
    monkeypatch.setattr(objections, "EVIDENCE_MAX_BYTES", 1024 * 1024)
    version, target = world["version"], world["advanced"][0]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    files_before = stored_files()
    response = client.post(
        objection_url(version, target), {"text": "有异议", "evidence": as_upload(corpus.oversized(1024 * 1024))}
    )
    assert response.status_code == 200
    assert "The file is 1.0 MB; the limit is 1 MB." in response.content.decode()
    assert not Objection.objects.exists() and stored_files() == files_before
