"""The competition list pages through competitions (a fixed number per page, every one on exactly one page); the
home page shows the newest and links to the list when there are more."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.views import public
from tests.factories import CompetitionFactory


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def slugs_on(html):
    return re.findall(r'href="/c/([^/"]+)/"', html)


def test_the_list_pages_through_competitions(client, db, monkeypatch):
    monkeypatch.setattr(public, "LIST_PAGE_SIZE", 4)
    made = {CompetitionFactory(edition_year=2026).slug for _ in range(10)}
    url = reverse("portal:competition_list")
    pages = [client.get(url, {"page": number}).content.decode() for number in (1, 2, 3)]
    assert [len(slugs_on(html)) for html in pages] == [4, 4, 2]
    seen = [slug for html in pages for slug in slugs_on(html)]
    assert sorted(seen) == sorted(made)  # each on exactly one page
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[2]
    # Out of range or not a number: the nearest real page, never an error.
    assert "Page 3 of 3" in client.get(url, {"page": 99}).content.decode()
    assert "Page 1 of 3" in client.get(url, {"page": "abc"}).content.decode()


def test_the_list_query_count_does_not_grow_with_competitions(client, db, monkeypatch):
    monkeypatch.setattr(public, "LIST_PAGE_SIZE", 4)
    url = reverse("portal:competition_list")
    counts = []
    for batch in (5, 20):
        for _ in range(batch):
            CompetitionFactory()
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert len(slugs_on(html)) == 4
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_home_shows_the_newest_and_links_to_all(client, db, monkeypatch):
    monkeypatch.setattr(public, "HOME_LIMIT", 3)
    for _ in range(3):
        CompetitionFactory()
    html = client.get(reverse("portal:home")).content.decode()
    assert len(slugs_on(html)) == 3 and "All competitions" not in html
    CompetitionFactory()
    html = client.get(reverse("portal:home")).content.decode()
    assert len(slugs_on(html)) == 3 and reverse("portal:competition_list") in html and "All competitions" in html
