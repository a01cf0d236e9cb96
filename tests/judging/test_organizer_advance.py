"""The organizer's advancement page: preview of the rule (no writes), deciding (judging.advancement.advance), refusals
with the typed rule kept, and overrides with a reason on the decisions list."""

import re

import pytest
from django.urls import reverse

from judging.models import Decision, Outcome, RoundEntry, RoundEntrySource
from portal.models import ActionLog, LoggedAction
from tests.factories import CompetitionFactory, UnitFactory
from tests.judging.test_organizer_ranking import (  # noqa: F401 - _restore_language is an autouse fixture
    _restore_language,
    closed_round,
    english_client,
    judges_of,
    ladder,
    next_round_of,
    quick_entry,
    round_url,
    score,
)


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def second_unit(competition):
    return UnitFactory(competition=competition, slug="culture", name_zh="中华文化", name_en="Chinese Culture")


@pytest.fixture
def setup(competition, unit, second_unit):
    """Round 1 closed, round 2 next: three entries in `unit` (scores 100, 95, 90) and two in `second_unit`
    (100, 95), two judges each."""
    round = closed_round(competition)
    following = next_round_of(round)
    judges = judges_of(round, 2)
    first = ladder(round, unit, 3, judges)
    second = ladder(round, second_unit, 2, judges)
    return {"round": round, "next": following, "first": first, "second": second}


def decided(round):
    return dict(Decision.objects.filter(round=round).values_list("entry_id", "outcome"))


def preview_ids(html):
    table = html.split('class="judging-table preview-table"', 1)[1].split("</table>", 1)[0]
    return [int(pk) for pk in re.findall(r'<tr data-entry="(\d+)"', table)]


# --- Access ------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(setup):
    client = english_client()
    for response in (
        client.get(round_url("advance", setup["round"])),
        client.post(round_url("advance", setup["round"]), {"top_k_per_unit": "1"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not Decision.objects.exists()


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, setup, who):
    round = setup["round"]
    decision = Decision.objects.create(round=round, entry=setup["first"][0], outcome=Outcome.ADVANCED, rank=1)
    client = english_client(request.getfixturevalue(who))
    assert client.get(round_url("advance", round) + "?top_k_per_unit=1").status_code == 404
    assert client.post(round_url("advance", round), {"top_k_per_unit": "1"}).status_code == 404
    response = client.post(
        round_url("decision_override", round, decision.pk), {"outcome": "not_advanced", "reason": "no"}
    )
    assert response.status_code == 404
    decision.refresh_from_db()
    assert decision.outcome == Outcome.ADVANCED and not decision.overridden
    assert Decision.objects.count() == 1
    assert not RoundEntry.objects.filter(round=setup["next"]).exists()


def test_override_is_post_only(client, setup):
    decision = Decision.objects.create(round=setup["round"], entry=setup["first"][0], outcome=Outcome.ADVANCED)
    assert client.get(round_url("decision_override", setup["round"], decision.pk)).status_code == 405


# --- Preview and deciding ------------------------------------------------------------------------------------------


def test_preview_shows_who_would_advance_without_writing(client, setup):
    round = setup["round"]
    html = client.get(round_url("advance", round) + "?top_k_per_unit=1").content.decode()
    assert preview_ids(html) == [setup["first"][0].pk, setup["second"][0].pk]
    assert "2 of 5 ranked entries would advance" in html
    assert not Decision.objects.exists()
    # Threshold: 95 and above in any unit; or both rules (either one suffices).
    html = client.get(round_url("advance", round) + "?threshold=95").content.decode()
    assert sorted(preview_ids(html)) == sorted(
        [setup["first"][0].pk, setup["first"][1].pk, setup["second"][0].pk, setup["second"][1].pk]
    )
    html = client.get(round_url("advance", round) + "?top_k_per_unit=1&threshold=99").content.decode()
    assert len(preview_ids(html)) == 2
    assert not Decision.objects.exists()


def test_preview_matches_what_is_decided(client, setup):
    round = setup["round"]
    html = client.get(round_url("advance", round) + "?top_k_per_unit=2&threshold=99").content.decode()
    previewed = set(preview_ids(html))
    client.post(round_url("advance", round), {"top_k_per_unit": "2", "threshold": "99"})
    advanced = {pk for pk, outcome in decided(round).items() if outcome == Outcome.ADVANCED}
    assert advanced == previewed


def test_advance_decides_and_fills_the_next_round(client, setup):
    round = setup["round"]
    response = client.post(round_url("advance", round), {"top_k_per_unit": "1"})
    assert response.status_code == 302
    assert response["Location"] == round_url("advance", round)
    outcomes = decided(round)
    assert outcomes[setup["first"][0].pk] == Outcome.ADVANCED
    assert outcomes[setup["second"][0].pk] == Outcome.ADVANCED
    assert outcomes[setup["first"][1].pk] == Outcome.NOT_ADVANCED
    assert set(
        RoundEntry.objects.filter(round=setup["next"], source=RoundEntrySource.ADVANCED).values_list(
            "entry_id", flat=True
        )
    ) == {setup["first"][0].pk, setup["second"][0].pk}
    assert ActionLog.objects.filter(action=LoggedAction.ENTRIES_ADVANCED).exists()
    html = client.get(response["Location"]).content.decode()
    assert "Decided: 2 of 5 entries advance to the next round." in html
    table = html.split('class="judging-table decisions-table"', 1)[1]
    assert setup["first"][0].number in table and "outcome-advanced" in table


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Give a rule"),
        ({"top_k_per_unit": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"threshold": "101"}, "Ensure this value is less than or equal to 100."),
    ],
)
def test_a_bad_rule_is_refused_with_what_was_typed(client, setup, data, message):
    response = client.post(round_url("advance", setup["round"]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    for name, value in data.items():
        assert re.search(rf'name="{name}" value="{value}"', html)
    assert not Decision.objects.exists()


def test_advancing_from_an_open_round_is_refused(client, judging_round, unit):
    next_round_of(judging_round)
    judge = judges_of(judging_round, 1)[0]
    score(judging_round, quick_entry(unit), judge, 5, 5)
    response = client.post(round_url("advance", judging_round), {"top_k_per_unit": "3", "threshold": "42.5"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "still open" in html
    assert 'name="top_k_per_unit" value="3"' in html and 'name="threshold" value="42.5"' in html
    assert not Decision.objects.exists()


def test_advancing_from_the_last_round_is_refused(client, competition, unit):
    round = closed_round(competition)
    judge = judges_of(round, 1)[0]
    score(round, quick_entry(unit), judge, 5, 5)
    response = client.post(round_url("advance", round), {"top_k_per_unit": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is the last round" in html
    assert not Decision.objects.exists()


# --- Overrides -----------------------------------------------------------------------------------------------------


def test_override_with_a_reason_changes_the_decision_and_the_next_round(client, setup):
    round = setup["round"]
    client.post(round_url("advance", round), {"top_k_per_unit": "1"})
    loser = Decision.objects.get(round=round, entry=setup["first"][1])
    reason = "<script>alert('x')</script> Jury re-watched it"
    response = client.post(
        round_url("decision_override", round, loser.pk), {"outcome": Outcome.ADVANCED, "reason": reason}
    )
    assert response.status_code == 302
    loser.refresh_from_db()
    assert loser.outcome == Outcome.ADVANCED and loser.overridden and loser.reason == reason
    assert RoundEntry.objects.filter(round=setup["next"], entry=setup["first"][1]).exists()
    assert ActionLog.objects.filter(action=LoggedAction.DECISION_OVERRIDDEN).exists()
    html = client.get(round_url("advance", round)).content.decode()
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Jury re-watched it" in html
    assert "Overridden" in html


def test_override_without_a_reason_is_refused_with_the_typed_outcome(client, setup):
    round = setup["round"]
    client.post(round_url("advance", round), {"top_k_per_unit": "1"})
    winner = Decision.objects.get(round=round, entry=setup["first"][0])
    response = client.post(
        round_url("decision_override", round, winner.pk), {"outcome": Outcome.NOT_ADVANCED, "reason": "  "}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give the reason for changing this decision" in html
    form = html.split('class="card judging-section override-failed"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'<option value="not_advanced" selected>', form)
    winner.refresh_from_db()
    assert winner.outcome == Outcome.ADVANCED and not winner.overridden


def test_a_forged_decision_id_is_404(client, setup):
    other = closed_round(CompetitionFactory(slug="elsewhere"))
    foreign_unit = UnitFactory(competition=other.competition)
    foreign = Decision.objects.create(round=other, entry=quick_entry(foreign_unit), outcome=Outcome.NOT_ADVANCED)
    response = client.post(
        round_url("decision_override", setup["round"], foreign.pk), {"outcome": "advanced", "reason": "forged"}
    )
    assert response.status_code == 404
    # Under the other competition's own URL too: alice does not organize it.
    response = client.post(
        round_url("decision_override", other, foreign.pk), {"outcome": "advanced", "reason": "forged"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.outcome == Outcome.NOT_ADVANCED and not foreign.overridden


def test_overrides_are_kept_when_the_rule_is_applied_again(client, setup):
    round = setup["round"]
    client.post(round_url("advance", round), {"top_k_per_unit": "1"})
    loser = Decision.objects.get(round=round, entry=setup["first"][2])
    client.post(round_url("decision_override", round, loser.pk), {"outcome": "advanced", "reason": "Jury prize"})
    client.post(round_url("advance", round), {"top_k_per_unit": "2", "keep_overrides": "1"})
    kept = Decision.objects.get(round=round, entry=setup["first"][2])
    assert kept.outcome == Outcome.ADVANCED and kept.overridden and kept.reason == "Jury prize"
    client.post(round_url("advance", round), {"top_k_per_unit": "2"})
    assert Decision.objects.get(round=round, entry=setup["first"][2]).outcome == Outcome.NOT_ADVANCED
