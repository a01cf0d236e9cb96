"""Organizer page of the competition's score ledger: the newest rows and a check of the hash chain."""

import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging import ledger
from judging.models import LedgerEntry, LedgerKind
from judging.views import rounds as round_views
from tests.factories import CompetitionFactory


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def url(competition, query=""):
    base = reverse("judging:ledger", args=[competition.slug])
    return f"{base}?{query}" if query else base


def append(competition, count=1, actor=None, kind=LedgerKind.SCORE_SUBMITTED):
    with transaction.atomic():
        return [
            ledger.append(competition=competition, kind=kind, actor=actor, content={"n": index, "total": "88.5"})
            for index in range(count)
        ]


def sequences(html):
    return [int(number) for number in re.findall(r'<tr data-sequence="(\d+)"', html)]


def test_anonymous_is_sent_to_sign_in(client, competition):
    response = client.get(url(competition))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_others_get_404(client, competition, who, request):
    append(competition)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(competition)).status_code == 404
    assert client.get(url(competition, "verify=1")).status_code == 404


def test_empty_ledger(alice_client, competition):
    html = alice_client.get(url(competition)).content.decode()
    assert "The ledger is empty" in html
    html = alice_client.get(url(competition, "verify=1")).content.decode()
    assert "The chain is intact." in html


def test_rows_newest_first_with_kind_actor_and_short_hash(alice_client, competition, alice, bob):
    first = append(competition, actor=bob)[0]
    append(competition, actor=alice, kind=LedgerKind.RUBRIC_CHANGED)
    append(CompetitionFactory(slug="elsewhere"), count=2)  # another competition's chain is not shown
    html = alice_client.get(url(competition)).content.decode()
    assert sequences(html) == [2, 1]
    assert "Rubric changed" in html and "Score submitted" in html
    assert str(bob) in html and str(alice) in html
    assert f'<code title="{first.hash}">{first.hash[:12]}</code>' in html
    assert "The chain is" not in html  # verified on request only


def test_verify_says_intact(alice_client, competition):
    append(competition, count=3)
    html = alice_client.get(url(competition, "verify=1")).content.decode()
    assert "The chain is intact." in html
    assert "All 3 rows checked." in html


def test_verify_shows_the_first_broken_link(alice_client, competition):
    append(competition, count=3)
    LedgerEntry.objects.filter(competition=competition, sequence=2).update(content={"n": 1, "total": "99"})
    html = alice_client.get(url(competition, "verify=1")).content.decode()
    assert "The chain is broken." in html
    assert "First broken link: row #2 (hash does not match the row" in html
    assert re.search(r'<tr data-sequence="2" class="ledger-broken">', html)


def test_another_competitions_broken_chain_does_not_matter(alice_client, competition):
    append(competition, count=2)
    other = CompetitionFactory(slug="elsewhere")
    append(other, count=2)
    LedgerEntry.objects.filter(competition=other, sequence=1).update(content={"forged": True})
    assert "The chain is intact." in alice_client.get(url(competition, "verify=1")).content.decode()


def test_pagination(alice_client, competition, monkeypatch):
    monkeypatch.setattr(round_views, "LEDGER_PAGE_SIZE", 2)
    append(competition, count=5)
    first = alice_client.get(url(competition, "verify=1")).content.decode()
    assert sequences(first) == [5, 4]
    assert "?verify=1&amp;page=2" in first
    assert sequences(alice_client.get(url(competition, "page=3")).content.decode()) == [1]
    assert alice_client.get(url(competition, "page=zzz")).status_code == 200


def test_query_count_is_flat(alice_client, competition, alice):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(url(competition))
        assert response.status_code == 200
        return len(queries), len(sequences(response.content.decode()))

    append(competition, count=1, actor=alice)
    alice_client.get(url(competition))
    first, shown = measure()
    assert shown == 1
    append(competition, count=19, actor=alice)
    second, shown = measure()
    assert shown == 20
    assert first == second
