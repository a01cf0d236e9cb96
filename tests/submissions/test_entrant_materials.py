"""Uploading and removing materials through the views: checked by content, stored privately, never lost."""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from submissions.models import Material
from tests.factories import EntryFactory
from tests.submissions.entrant_support import (
    PDF_BYTES,
    SVG_WITH_SCRIPT,
    docx_bytes,
    image_bytes,
    require_default_materials,
    step_url,
    story_track,
    upload,
    upload_url,
    zip_bytes,
)


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


@pytest.fixture
def entry(unit, charlie):
    require_default_materials(unit.competition)
    return EntryFactory(unit=unit, owner=charlie)


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def post_file(client, entry, kind, name, data, content_type="image/png", capture=None):
    if capture is None:
        return client.post(upload_url(entry, kind), {"file": upload(name, data, content_type)}, follow=True)
    with capture(execute=True):
        return client.post(upload_url(entry, kind), {"file": upload(name, data, content_type)}, follow=True)


def test_a_real_poster_is_stored_under_a_random_name_without_exif(
    client, entry, settings, django_capture_on_commit_callbacks
):
    data = image_bytes(1080, 1920, exif=True)
    assert Image.open(io.BytesIO(data)).getexif()  # the test file does carry EXIF
    capture = django_capture_on_commit_callbacks
    response = post_file(client, entry, "poster_vertical", "我的 海报.png", data, capture=capture)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == step_url(entry, "materials") + "#material-poster_vertical"
    assert "“我的 海报.png” has been uploaded." in html

    material = Material.objects.get(entry=entry)
    assert material.kind == "poster_vertical" and material.original_name == "我的 海报.png"
    assert (material.width, material.height, material.content_type) == (1080, 1920, "image/png")
    assert material.file.name.startswith("materials/") and "海报" not in material.file.name
    assert len(Path(material.file.name).stem) == 32
    with default_storage.open(material.file.name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "PNG" and image.size == (1080, 1920)
        assert not image.getexif() and "exif" not in image.info
    # The thumbnail was made (Celery runs eagerly in tests) and the page shows it.
    assert material.thumbnail_status == "ready" and default_storage.exists(material.thumbnail.name)
    html = client.get(step_url(entry, "materials")).content.decode()
    assert reverse("submissions:material_thumbnail", args=[material.pk]) in html
    assert reverse("submissions:material_file", args=[material.pk]) in html
    assert "1080×1920" in html


BAD_FILES = [
    ("poster.png", zip_bytes(), "This file is not a JPEG, PNG or WebP image"),
    ("poster.svg", SVG_WITH_SCRIPT, "This file is not a JPEG, PNG or WebP image"),
    ("empty.png", b"", "The submitted file is empty."),
    ("cut.png", image_bytes(1080, 1920, exif=False)[:3000], "The image is damaged or incomplete"),
    ("wide.png", image_bytes(1920, 1080, exif=False), "A vertical poster must be taller than it is wide"),
    ("tiny.png", image_bytes(100, 200, exif=False), "at least 540×720 is needed"),
]


@pytest.mark.parametrize("name, data, message", BAD_FILES, ids=[row[0] for row in BAD_FILES])
def test_bad_files_are_refused_and_the_previous_poster_kept(client, entry, settings, name, data, message):
    good = post_file(client, entry, "poster_vertical", "good.png", image_bytes(600, 800, exif=False))
    assert good.status_code == 200
    before = stored_files(settings)
    kept = Material.objects.get(entry=entry)

    response = post_file(client, entry, "poster_vertical", name, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    # The message sits in the poster's own box, not at the top of the page.
    box = html.split('id="material-poster_vertical"')[1].split("</section>")[0]
    assert message in box
    assert list(Material.objects.filter(entry=entry)) == [kept]
    assert stored_files(settings) == before


def test_a_file_over_the_limit_is_refused(client, entry, settings):
    post_file(client, entry, "poster_vertical", "good.png", image_bytes(600, 800, exif=False))
    kept, before = Material.objects.get(), stored_files(settings)
    settings.MATERIAL_IMAGE_MAX_BYTES = 64 * 1024
    big = image_bytes(600, 800, exif=False) + b"\0" * (64 * 1024)
    response = post_file(client, entry, "poster_vertical", "big.png", big)
    html = response.content.decode()
    assert "The file was not accepted: The file is 0.1 MB; the limit is 0 MB." in html
    assert list(Material.objects.all()) == [kept] and stored_files(settings) == before


def test_a_missing_file_is_explained(client, entry):
    response = client.post(upload_url(entry, "script"), {}, follow=True)
    assert "Choose a file to upload." in response.content.decode()


def test_documents_are_checked_by_content(client, unit, charlie, settings):
    require_default_materials(unit.competition)
    story = EntryFactory(unit=unit, owner=charlie, track=story_track(unit.competition))
    exe = b"MZ\x90\x00" + b"\0" * 200
    html = post_file(client, story, "script", "script.pdf", exe, "application/pdf").content.decode()
    assert "This file is not a PDF, DOCX file" in html
    assert not Material.objects.exists()

    post_file(client, story, "script", "../../etc/剧本\u202e.docx", docx_bytes(), "application/octet-stream")
    post_file(client, story, "entry_form", "form.pdf", PDF_BYTES, "application/pdf")
    script, form = Material.objects.order_by("kind")[1], Material.objects.order_by("kind")[0]
    assert script.kind == "script" and script.content_type.endswith("wordprocessingml.document")
    assert script.original_name == "剧本.docx"
    assert script.file.name.endswith(".docx") and ".." not in script.file.name
    assert form.content_type == "application/pdf"


def test_replacing_a_poster_removes_the_old_file(client, entry, settings, django_capture_on_commit_callbacks):
    post_file(client, entry, "poster_vertical", "one.png", image_bytes(600, 800, exif=False),
              capture=django_capture_on_commit_callbacks)
    first = Material.objects.get()
    post_file(client, entry, "poster_vertical", "two.png", image_bytes(700, 900, exif=False),
              capture=django_capture_on_commit_callbacks)
    second = Material.objects.get()
    assert second.pk != first.pk and second.original_name == "two.png"
    assert not default_storage.exists(first.file.name) and not default_storage.exists(first.thumbnail.name)
    assert default_storage.exists(second.file.name)


def test_at_most_six_stills(client, entry):
    for index in range(6):
        Material.objects.create(
            entry=entry, kind="stills", file=ContentFile(b"x", name=f"s{index}.png"), content_type="image/png", size=1
        )
    html = client.get(step_url(entry, "materials")).content.decode()
    assert "The maximum number of stills is reached" in html
    assert upload_url(entry, "stills") not in html
    response = post_file(client, entry, "stills", "seventh.png", image_bytes(1280, 720, exif=False))
    assert "An entry can have at most 6 stills" in response.content.decode()
    assert entry.materials.filter(kind="stills").count() == 6


def test_removing_a_material(client, entry, settings, django_capture_on_commit_callbacks):
    post_file(client, entry, "entry_form", "form.pdf", PDF_BYTES, "application/pdf")
    material = Material.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submissions:material_delete", args=[entry.pk, material.pk]), follow=True)
    assert "The file has been removed." in response.content.decode()
    assert not Material.objects.exists()
    assert stored_files(settings) == []


def test_the_materials_step_lists_slots_for_the_track(client, entry, unit, charlie):
    html = client.get(step_url(entry, "materials")).content.decode()
    for kind in ("poster_vertical", "poster_horizontal", "stills", "entry_form", "rights_letter"):
        assert f'id="material-{kind}"' in html
        assert upload_url(entry, kind) in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert 'accept="image/jpeg,image/png,image/webp,.pdf"' in html
    assert "Uploaded in the Videos step" in html and step_url(entry, "videos") in html
    assert upload_url(entry, "trailer") not in html

    story = EntryFactory(unit=unit, owner=charlie, track=story_track(unit.competition))
    html = client.get(step_url(story, "materials")).content.decode()
    assert 'accept=".pdf,.docx"' in html
    assert "video pipeline" not in html and upload_url(story, "poster_vertical") not in html


def test_a_pending_thumbnail_shows_the_file_link(client, entry):
    material = Material.objects.create(
        entry=entry, kind="poster_vertical", file=ContentFile(b"x", name="p.png"), content_type="image/png",
        size=1, width=600, height=800, thumbnail_status="pending", original_name="p.png",
    )
    html = client.get(step_url(entry, "materials")).content.decode()
    assert reverse("submissions:material_file", args=[material.pk]) in html
    assert reverse("submissions:material_thumbnail", args=[material.pk]) not in html
    assert "Preview being made" in html
