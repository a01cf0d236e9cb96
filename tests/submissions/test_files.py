"""Material files are served only to the entry's entrants and its organizers, with headers that keep them inert."""

from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from submissions.models import CoOwner, Entry, Material
from tests.factories import EntryFactory, UserFactory
from tests.submissions.entrant_support import PDF_BYTES, docx_bytes, image_bytes


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def entry(unit, charlie):
    return EntryFactory(unit=unit, owner=charlie)


def make(entry, kind, data, content_type, name, **extra):
    return Material.objects.create(
        entry=entry, kind=kind, file=ContentFile(data, name=name), content_type=content_type, size=len(data),
        original_name="我的<文件>.bin", **extra,
    )


def file_url(material):
    return reverse("submissions:material_file", args=[material.pk])


def thumb_url(material):
    return reverse("submissions:material_thumbnail", args=[material.pk])


def body(response):
    return b"".join(response.streaming_content)


def assert_inert(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert response["Cache-Control"] == "private, max-age=300"


def test_the_owner_gets_an_image_inline_under_a_generated_name(client, entry, charlie):
    data = image_bytes(600, 800, exif=False)
    poster = make(entry, "poster_vertical", data, "image/png", "poster.png")
    client.force_login(charlie)
    response = client.get(file_url(poster))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="LCP2026-draft{entry.pk}-poster_vertical.png"'
    assert_inert(response)
    assert body(response) == data

    Entry.objects.filter(pk=entry.pk).update(status="submitted", sequence=7, number="LCP2026-0007")
    response = client.get(file_url(poster))
    assert response["Content-Disposition"] == 'inline; filename="LCP2026-0007-poster_vertical.png"'
    assert "文件" not in response["Content-Disposition"]


def test_documents_are_attachments(client, entry, charlie):
    pdf = make(entry, "entry_form", PDF_BYTES, "application/pdf", "form.pdf")
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    docx = make(entry, "script", docx_bytes(), docx_type, "script.docx")
    client.force_login(charlie)
    response = client.get(file_url(pdf))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="LCP2026-draft{entry.pk}-entry_form.pdf"'
    assert_inert(response)
    response = client.get(file_url(docx))
    assert response["Content-Type"] == docx_type
    assert response["Content-Disposition"] == f'attachment; filename="LCP2026-draft{entry.pk}-script.docx"'
    assert_inert(response)


def test_stills_get_distinct_names(client, entry, charlie):
    one = make(entry, "stills", b"a", "image/jpeg", "a.jpg")
    two = make(entry, "stills", b"b", "image/jpeg", "b.jpg")
    client.force_login(charlie)
    first = client.get(file_url(one))["Content-Disposition"]
    second = client.get(file_url(two))["Content-Disposition"]
    assert first != second and f"stills-{one.pk}.jpg" in first


@pytest.mark.parametrize("who, allowed", [
    ("coowner", True), ("alice", True), ("bob", False), ("dave", False), ("stranger", False),
])
def test_who_may_fetch_a_file(client, entry, alice, bob, dave, who, allowed):
    material = make(entry, "entry_form", PDF_BYTES, "application/pdf", "form.pdf")
    users = {"alice": alice, "bob": bob, "dave": dave, "coowner": UserFactory(), "stranger": UserFactory()}
    if who == "coowner":
        CoOwner.objects.create(entry=entry, email=users[who].email, user=users[who])
    client.force_login(users[who])
    response = client.get(file_url(material))
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert body(response) == PDF_BYTES


def test_anonymous_is_sent_to_sign_in(client, entry):
    material = make(entry, "entry_form", PDF_BYTES, "application/pdf", "form.pdf")
    for url in (file_url(material), thumb_url(material)):
        response = client.get(url)
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == reverse("account_login")


def test_unknown_ids_and_missing_files_are_404(client, entry, charlie):
    material = make(entry, "entry_form", PDF_BYTES, "application/pdf", "form.pdf")
    client.force_login(charlie)
    assert client.get(reverse("submissions:material_file", args=[999999])).status_code == 404
    default_storage.delete(material.file.name)
    assert client.get(file_url(material)).status_code == 404


def test_the_thumbnail_is_404_until_ready(client, entry, charlie):
    poster = make(entry, "poster_vertical", b"x", "image/png", "p.png", thumbnail_status="pending")
    client.force_login(charlie)
    assert client.get(thumb_url(poster)).status_code == 404
    document = make(entry, "entry_form", PDF_BYTES, "application/pdf", "f.pdf")
    assert client.get(thumb_url(document)).status_code == 404

    webp = image_bytes(120, 160, fmt="WEBP", exif=False)
    poster.thumbnail = default_storage.save("thumbnails/t.webp", ContentFile(webp))
    poster.thumbnail_status = "ready"
    poster.save()
    response = client.get(thumb_url(poster))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"].startswith("inline;")
    assert_inert(response)
    assert body(response) == webp


def test_the_organizer_of_another_competition_cannot_fetch_thumbnails(client, entry, dave):
    poster = make(entry, "poster_vertical", b"x", "image/png", "p.png", thumbnail_status="ready",
                  thumbnail="thumbnails/none.webp")
    client.force_login(dave)
    assert client.get(thumb_url(poster)).status_code == 404


@pytest.mark.django_db
def test_organizer_without_mfa_is_sent_to_set_it_up_before_seeing_files(client, alice, settings):
    settings.STAFF_MFA_REQUIRED = True
    entry = EntryFactory(unit__competition=alice.competition_roles.get().competition)
    name = default_storage.save("materials/script.pdf", ContentFile(PDF_BYTES))
    material = Material.objects.create(
        entry=entry, kind="script", file=name, content_type="application/pdf", size=len(PDF_BYTES)
    )
    client.force_login(alice)
    response = client.get(f"/files/materials/{material.pk}/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    # The entrant who owns the file needs no second factor for their own work.
    client.force_login(entry.owner)
    response = client.get(f"/files/materials/{material.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
