"""The entrant's pages make the same number of queries however many entries, files and credits there are."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from submissions.models import CoOwner, Credit, Material
from tests.factories import EntryFactory, UnitFactory
from tests.submissions.entrant_support import overview_url, require_default_materials, step_url


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def add_files_and_credits(entry, n):
    for index in range(n):
        Material.objects.create(
            entry=entry, kind="stills", file=ContentFile(b"x", name=f"s{index}.png"), content_type="image/png",
            size=1, width=1280, height=720, thumbnail_status="ready", thumbnail=f"thumbnails/t{index}.webp",
        )
        Credit.objects.create(entry=entry, role="producer", name=f"Producer {index}", position=index)


def test_dashboard_is_flat_as_entries_grow(client, charlie, competition, unit):
    require_default_materials(competition)
    second_unit = UnitFactory(competition=competition)

    def add(n):
        for index in range(n):
            entry = EntryFactory(unit=unit if index % 2 else second_unit, owner=charlie, title_en="Listed Entry")
            add_files_and_credits(entry, 2)
            Material.objects.create(
                entry=entry, kind="entry_form", file=ContentFile(b"%PDF", name="f.pdf"),
                content_type="application/pdf", size=4,
            )
        shared = EntryFactory(unit=unit, title_en="Listed Entry")
        CoOwner.objects.create(entry=shared, email=charlie.email, user=charlie)

    url = reverse("submissions:dashboard")
    client.get(url)
    add(2)
    first, html = count(client, url)
    assert html.count("Listed Entry") == 3
    add(5)
    second, html = count(client, url)
    assert html.count("Listed Entry") == 9
    # Missing items come from the prefetched rows: only the co-owned entries lack the entry form.
    assert html.count(">Signed entry form<") == 2
    assert html.count(">Rights and authorisation letter<") == 9
    assert first == second, f"{first} queries with 3 entries, {second} with 9"


@pytest.mark.parametrize("page", ["overview", "materials", "credits"])
def test_entry_pages_are_flat_as_files_and_credits_grow(client, charlie, unit, page):
    entry = EntryFactory(unit=unit, owner=charlie)
    CoOwner.objects.create(entry=entry, email="partner@example.com")
    url = overview_url(entry) if page == "overview" else step_url(entry, page)
    client.get(url)
    add_files_and_credits(entry, 2)
    first, html = count(client, url)
    add_files_and_credits(entry, 4)
    second, html = count(client, url)
    marker = "Producer 3" if page != "materials" else reverse("submissions:material_thumbnail", args=[
        entry.materials.order_by("-pk").first().pk
    ])
    assert marker in html
    assert first == second, f"{page}: {first} queries with 2 files and credits, {second} with 6"
