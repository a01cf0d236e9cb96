"""Organizer page of a round's entry list: listing, filtering by unit, adding all eligible entries, removing one."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging.models import RoundEntry, Score
from judging.views import rounds as round_views
from portal.models import ActionLog, LoggedAction
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    PanelMembershipFactory,
    RoundFactory,
    UnitFactory,
    eligible_entry,
)


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def list_url(round, query=""):
    url = reverse("judging:round_entries", args=[round.competition.slug, round.pk])
    return f"{url}?{query}" if query else url


def populate_url(round):
    return reverse("judging:round_populate", args=[round.competition.slug, round.pk])


def remove_url(round, entry, competition=None):
    return reverse("judging:round_entry_remove", args=[(competition or round.competition).slug, round.pk, entry.pk])


def rows(html):
    return re.findall(r'<tr data-entry="(\d+)">(.*?)</tr>', html, re.S)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- Access --------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, judging_round, entrant_entry):
    RoundEntry.objects.create(round=judging_round, entry=entrant_entry)
    for response in (
        client.get(list_url(judging_round)),
        client.post(populate_url(judging_round)),
        client.post(remove_url(judging_round, entrant_entry)),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert RoundEntry.objects.count() == 1


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_others_get_404_and_change_nothing(client, judging_round, entrant_entry, unit, bob_membership, who, request):
    RoundEntry.objects.create(round=judging_round, entry=entrant_entry)
    eligible_entry(unit)
    client.force_login(request.getfixturevalue(who))
    assert client.get(list_url(judging_round)).status_code == 404
    assert client.post(populate_url(judging_round)).status_code == 404
    assert client.post(remove_url(judging_round, entrant_entry)).status_code == 404
    assert list(RoundEntry.objects.values_list("entry", flat=True)) == [entrant_entry.pk]


def test_a_round_of_another_competition_is_404(alice_client, competition):
    other_unit = UnitFactory(competition=CompetitionFactory(slug="elsewhere"))
    other_round = RoundFactory(competition=other_unit.competition)
    entry = eligible_entry(other_unit)
    RoundEntry.objects.create(round=other_round, entry=entry)
    url = reverse("judging:round_entries", args=[competition.slug, other_round.pk])
    assert alice_client.get(url).status_code == 404
    populate = reverse("judging:round_populate", args=[competition.slug, other_round.pk])
    assert alice_client.post(populate).status_code == 404
    assert alice_client.post(remove_url(other_round, entry, competition=competition)).status_code == 404
    assert RoundEntry.objects.filter(round=other_round).count() == 1


def test_removing_an_entry_that_is_not_in_the_round_is_404(alice_client, judging_round, unit):
    other_round = RoundFactory(competition=judging_round.competition, position=2)
    entry = eligible_entry(unit)
    RoundEntry.objects.create(round=other_round, entry=entry)
    assert alice_client.post(remove_url(judging_round, entry)).status_code == 404
    assert RoundEntry.objects.filter(round=other_round, entry=entry).exists()


def test_actions_need_post(alice_client, judging_round, entrant_entry):
    RoundEntry.objects.create(round=judging_round, entry=entrant_entry)
    assert alice_client.get(populate_url(judging_round)).status_code == 405
    assert alice_client.get(remove_url(judging_round, entrant_entry)).status_code == 405
    assert RoundEntry.objects.count() == 1


# --- The list ------------------------------------------------------------------------------------------------


def test_empty_round_offers_to_add_eligible_entries(alice_client, judging_round):
    html = alice_client.get(list_url(judging_round)).content.decode()
    assert "The round has no entries yet" in html
    assert f'action="{populate_url(judging_round)}"' in html


def test_list_shows_entries_with_judges_and_submitted_scores(alice_client, judging_round, unit, competition):
    judges = [PanelMembershipFactory(round=judging_round).judge for _ in range(3)]
    scored = eligible_entry(unit, title="<script>alert(1)</script>")
    story = eligible_entry(unit, track=competition.tracks.get(kind="story"), title="好故事一号")
    RoundEntry.objects.create(round=judging_round, entry=scored)
    RoundEntry.objects.create(round=judging_round, entry=story, source="added")
    for judge in judges:
        AssignmentFactory(round=judging_round, entry=scored, judge=judge)
    rubric = judging_round.rubrics.get()
    Score.objects.create(round=judging_round, entry=scored, judge=judges[0], rubric=rubric, status="submitted")
    Score.objects.create(round=judging_round, entry=scored, judge=judges[1], rubric=rubric, status="draft")

    html = alice_client.get(list_url(judging_round)).content.decode()
    found = dict(rows(html))
    assert list(found) == [str(scored.pk), str(story.pk)]
    first, second = found[str(scored.pk)], found[str(story.pk)]
    assert scored.number in first and unit.name_en in first and "Finished work" in first
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in first and "<script>alert(1)" not in html
    assert "3 / 3" in first and re.search(r'<td class="num">1</td>', first)
    assert "Eligible entry" in first
    # A scored entry stays; the other can be removed.
    assert "Scored: stays in the round" in first and remove_url(judging_round, scored) not in first
    assert "Story" in second and "Added by an organizer" in second and "0 / 3" in second
    assert remove_url(judging_round, story) in second
    assert "2 entries in the round." in html


def test_filter_by_unit(alice_client, judging_round, unit, competition):
    other = UnitFactory(competition=competition, name_en="Sci-Fi Wonder")
    mine, theirs = eligible_entry(unit), eligible_entry(other)
    for entry in (mine, theirs):
        RoundEntry.objects.create(round=judging_round, entry=entry)
    html = alice_client.get(list_url(judging_round, f"unit={other.pk}")).content.decode()
    assert [pk for pk, _ in rows(html)] == [str(theirs.pk)]
    assert f'<option value="{other.pk}" selected>' in html
    # Unknown or foreign units are ignored, not an error.
    foreign = UnitFactory(competition=CompetitionFactory(slug="elsewhere"))
    for value in ("abc", str(foreign.pk), "999999"):
        response = alice_client.get(list_url(judging_round, f"unit={value}"))
        assert response.status_code == 200
        assert len(rows(response.content.decode())) == 2


def test_filter_offers_only_the_rounds_units(alice_client, judging_round, unit, competition):
    UnitFactory(competition=competition, name_en="Not Judged Here")
    second = UnitFactory(competition=competition, name_en="Judged Here")
    judging_round.units.set([unit, second])
    html = alice_client.get(list_url(judging_round)).content.decode()
    assert "Judged Here" in html and "Not Judged Here" not in html


def test_pagination_keeps_the_filter(alice_client, judging_round, unit, monkeypatch):
    monkeypatch.setattr(round_views, "ENTRIES_PAGE_SIZE", 2)
    UnitFactory(competition=judging_round.competition)
    entries = [eligible_entry(unit) for _ in range(3)]
    for entry in entries:
        RoundEntry.objects.create(round=judging_round, entry=entry)
    first = alice_client.get(list_url(judging_round, f"unit={unit.pk}")).content.decode()
    assert [pk for pk, _ in rows(first)] == [str(entries[0].pk), str(entries[1].pk)]
    assert f"?unit={unit.pk}&amp;page=2" in first
    second = alice_client.get(list_url(judging_round, f"unit={unit.pk}&page=2")).content.decode()
    assert [pk for pk, _ in rows(second)] == [str(entries[2].pk)]
    assert alice_client.get(list_url(judging_round, "page=abc")).status_code == 200


def test_query_count_is_flat(alice_client, judging_round, unit):
    judge = PanelMembershipFactory(round=judging_round).judge
    rubric = judging_round.rubrics.get()

    def add(count):
        for _ in range(count):
            entry = eligible_entry(unit)
            RoundEntry.objects.create(round=judging_round, entry=entry)
            AssignmentFactory(round=judging_round, entry=entry, judge=judge)
            Score.objects.create(round=judging_round, entry=entry, judge=judge, rubric=rubric, status="submitted")

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(list_url(judging_round))
        assert response.status_code == 200
        return len(queries), len(rows(response.content.decode()))

    alice_client.get(list_url(judging_round))
    add(1)
    first, shown = measure()
    assert shown == 1
    add(19)
    second, shown = measure()
    assert shown == 20
    assert first == second


# --- Adding and removing -------------------------------------------------------------------------------------


def test_add_all_eligible_entries(alice_client, judging_round, unit, competition, alice):
    eligible = [eligible_entry(unit) for _ in range(2)]
    from tests.factories import EntryFactory

    EntryFactory(unit=unit)  # a draft: not eligible
    response = alice_client.post(populate_url(judging_round), follow=True)
    assert response.redirect_chain[-1][0] == list_url(judging_round)
    assert set(RoundEntry.objects.filter(round=judging_round).values_list("entry", flat=True)) == {
        entry.pk for entry in eligible
    }
    assert "2 eligible entries have been added to the round." in messages_of(response)
    assert ActionLog.objects.filter(competition=competition, action=LoggedAction.ROUND_ENTRIES_CHANGED).exists()
    again = alice_client.post(populate_url(judging_round), follow=True)
    assert RoundEntry.objects.filter(round=judging_round).count() == 2
    assert any("nothing has been added" in message for message in messages_of(again))


def test_remove_an_entry(alice_client, judging_round, entrant_entry, alice):
    RoundEntry.objects.create(round=judging_round, entry=entrant_entry)
    response = alice_client.post(remove_url(judging_round, entrant_entry), follow=True)
    assert response.redirect_chain[-1][0] == list_url(judging_round)
    assert not RoundEntry.objects.filter(round=judging_round).exists()
    assert any("has been removed from the round" in message for message in messages_of(response))


def test_removing_a_scored_entry_is_refused(alice_client, judging_round, assignment, entrant_entry, bob):
    Score.objects.create(
        round=judging_round, entry=entrant_entry, judge=bob, rubric=judging_round.rubrics.get(), status="draft"
    )
    response = alice_client.post(remove_url(judging_round, entrant_entry), follow=True)
    assert response.status_code == 200
    assert RoundEntry.objects.filter(round=judging_round, entry=entrant_entry).exists()
    assert any("already scored" in message for message in messages_of(response))
    assert "has been removed" not in response.content.decode()
