"""Only organizers of the competition reach its entry pages and exports; everyone else gets 404 (or the login)."""

import pytest
from django.urls import reverse

from submissions.models import EntryEvent, EntryStatus
from tests.factories import CompetitionFactory, UnitFactory
from tests.submissions.organizer_support import (
    decide_url,
    detail_url,
    english_client,
    export_url,
    list_url,
    make_entry,
)


@pytest.fixture
def entry(unit):
    return make_entry(unit, status=EntryStatus.SUBMITTED, title="受保护的作品")


def organizer_requests(competition, entry):
    """(method, url, data) for every organizer URL."""
    return [
        ("get", list_url(competition), None),
        ("get", export_url(competition, "csv"), None),
        ("get", export_url(competition, "xlsx"), None),
        ("get", detail_url(entry), None),
        ("post", decide_url(entry), {"decision": "eligible", "reason": ""}),
    ]


def send(client, method, url, data):
    return client.post(url, data) if method == "post" else client.get(url)


def test_anonymous_is_sent_to_sign_in(competition, entry):
    client = english_client()
    for method, url, data in organizer_requests(competition, entry):
        response = send(client, method, url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
    assert entry.events.count() == 0


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, competition, entry, who):
    client = english_client(request.getfixturevalue(who))
    for method, url, data in organizer_requests(competition, entry):
        response = send(client, method, url, data)
        assert response.status_code == 404, (who, url)
        assert "受保护的作品".encode() not in response.content
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    assert not EntryEvent.objects.filter(entry=entry).exists()


def test_the_entrant_who_owns_the_entry_gets_404_too(competition, entry):
    client = english_client(entry.owner)
    for method, url, data in organizer_requests(competition, entry):
        assert send(client, method, url, data).status_code == 404, url


def test_the_organizer_reaches_every_page(competition, entry, alice):
    client = english_client(alice)
    for method, url, data in organizer_requests(competition, entry):
        response = send(client, method, url, data)
        if method == "post":
            assert response.status_code == 302
            assert response["Location"] == detail_url(entry)
        else:
            assert response.status_code == 200, url
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ELIGIBLE


def test_an_entry_of_another_competition_is_404_under_the_organizers_slug(competition, alice):
    other_competition = CompetitionFactory(slug="elsewhere")
    foreign = make_entry(UnitFactory(competition=other_competition), status=EntryStatus.SUBMITTED)
    client = english_client(alice)
    assert client.get(detail_url(foreign, competition=competition)).status_code == 404
    response = client.post(decide_url(foreign, competition=competition), {"decision": "eligible"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == EntryStatus.SUBMITTED
    # And under its own slug alice is no organizer at all.
    assert client.get(detail_url(foreign)).status_code == 404


def test_an_unknown_entry_or_competition_is_404(competition, alice):
    client = english_client(alice)
    assert client.get(reverse("submissions:organizer_entry_detail", args=[competition.slug, 999999])).status_code == 404
    assert client.get(reverse("submissions:organizer_entry_list", args=["no-such-competition"])).status_code == 404


def test_decide_answers_get_with_405(competition, entry, alice):
    assert english_client(alice).get(decide_url(entry)).status_code == 405


def test_without_mfa_the_organizer_is_sent_to_set_it_up(settings, competition, entry, alice):
    settings.STAFF_MFA_REQUIRED = True
    client = english_client(alice)
    for url in (list_url(competition), detail_url(entry), export_url(competition, "csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    response = client.post(decide_url(entry), {"decision": "eligible"})
    assert response["Location"] == reverse("mfa_activate_totp")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
