"""judging.advancement.advance / override_decision: who goes on, and the next round's list kept in step."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from judging import advancement
from judging.models import Assignment, Decision, Outcome, RoundEntry, RoundEntrySource
from portal.models import ActionLog, LoggedAction
from tests.factories import AssignmentFactory, PanelMembershipFactory, UserFactory, submitted_score
from tests.judging.results_support import later_round, scored_competition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(competition, unit, alice):
    return scored_competition(competition, unit)


def outcomes(round):
    return dict(Decision.objects.filter(round=round).values_list("entry__number", "outcome"))


def next_list(round):
    return set(RoundEntry.objects.filter(round=round).values_list("entry__number", flat=True))


def test_top_k_per_unit(setup, alice):
    first, second, entries = setup["first"], setup["second"], setup["entries"]
    decisions = advancement.advance(round=first, actor=alice, top_k_per_unit=2)

    a1, a2, a3, b1, b2, b3 = (entry.number for entry in entries)
    assert outcomes(first) == {
        a1: Outcome.ADVANCED,
        a2: Outcome.ADVANCED,
        a3: Outcome.NOT_ADVANCED,
        b1: Outcome.ADVANCED,
        b2: Outcome.ADVANCED,
        b3: Outcome.NOT_ADVANCED,
    }
    assert [decision.rank for decision in decisions] == [1, 2, 3, 4, 5, 6]
    assert not any(decision.overridden for decision in decisions)
    # The next round's list: the advanced entries, marked as such and added by the organizer.
    rows = RoundEntry.objects.filter(round=second)
    assert {row.entry.number for row in rows} == {a1, a2, b1, b2}
    assert {(row.source, row.added_by_id) for row in rows} == {(RoundEntrySource.ADVANCED, alice.pk)}
    log = ActionLog.objects.get(action=LoggedAction.ENTRIES_ADVANCED)
    assert log.data["advanced"] == 4 and log.data["top_k_per_unit"] == 2
    assert sorted(log.data["added_to_next_round"]) == sorted([a1, a2, b1, b2])


def test_threshold_and_both_rules(setup, alice):
    first, second, entries = setup["first"], setup["second"], setup["entries"]
    a1, a2, a3, b1, b2, b3 = (entry.number for entry in entries)

    advancement.advance(round=first, actor=alice, threshold="70")
    assert {n for n, outcome in outcomes(first).items() if outcome == Outcome.ADVANCED} == {a1, a2, a3}
    assert next_list(second) == {a1, a2, a3}

    # Either rule lets an entry through: the best of unit B (60) by K = 1, unit A's three by the threshold.
    advancement.advance(round=first, actor=alice, top_k_per_unit=1, threshold=70)
    assert {n for n, outcome in outcomes(first).items() if outcome == Outcome.ADVANCED} == {a1, a2, a3, b1}
    assert next_list(second) == {a1, a2, a3, b1}


def test_readvancing_removes_entries_no_longer_advanced_unless_scored_there(setup, alice):
    first, second, entries = setup["first"], setup["second"], setup["entries"]
    a1, a2, a3, b1, b2, b3 = entries
    advancement.advance(round=first, actor=alice, top_k_per_unit=2)
    # Round 2 opened early for this test: one judge already scored a2 there; b2 only has an assignment.
    second.opens_at = timezone.now() - timedelta(days=1)
    second.save()
    judge = PanelMembershipFactory(round=second, judge=UserFactory()).judge
    submitted_score(round=second, entry=a2, judge=judge, values={"story": 5, "craft": 5})
    AssignmentFactory(round=second, entry=b2, judge=judge)
    # An entry an organizer added by hand to round 2 is not touched by advancement.
    RoundEntry.objects.create(round=second, entry=a3, source=RoundEntrySource.ADDED)

    advancement.advance(round=first, actor=alice, top_k_per_unit=1)

    assert next_list(second) == {a1.number, a2.number, b1.number, a3.number}
    assert not Assignment.objects.filter(round=second, entry=b2).exists()
    log = ActionLog.objects.filter(action=LoggedAction.ENTRIES_ADVANCED).latest("pk")
    assert log.data["removed_from_next_round"] == [b2.number]
    assert log.data["kept_in_next_round_scored"] == [a2.number]


def test_open_or_upcoming_round_refused(setup, alice):
    first = setup["first"]
    first.closes_at = timezone.now() + timedelta(days=2)
    first.save()
    with pytest.raises(ValidationError) as error:
        advancement.advance(round=first, actor=alice, top_k_per_unit=2)
    assert "Scoring in this round is still open until" in error.value.messages[0]
    assert "advance after it closes" in error.value.messages[0]

    first.opens_at = timezone.now() + timedelta(days=1)
    first.save()
    with pytest.raises(ValidationError) as error:
        advancement.advance(round=first, actor=alice, top_k_per_unit=2)
    assert "has not started yet" in error.value.messages[0]
    assert not Decision.objects.exists()
    assert not RoundEntry.objects.filter(round=setup["second"]).exists()


def test_last_round_and_missing_rule_refused(setup, alice, competition):
    with pytest.raises(ValidationError, match="Give a rule"):
        advancement.advance(round=setup["first"], actor=alice)
    with pytest.raises(ValidationError, match="whole number"):
        advancement.advance(round=setup["first"], actor=alice, top_k_per_unit=0)
    with pytest.raises(ValidationError, match="from 0 to 100"):
        advancement.advance(round=setup["first"], actor=alice, threshold="lots")

    final = later_round(competition, position=3, kind="final")
    final.opens_at, final.closes_at = timezone.now() - timedelta(days=3), timezone.now() - timedelta(days=1)
    final.save()
    with pytest.raises(ValidationError, match="last round"):
        advancement.advance(round=final, actor=alice, top_k_per_unit=2)
    assert advancement.next_round(setup["first"]) == setup["second"]
    assert advancement.next_round(final) is None


def test_override_needs_a_reason_naming_the_entry(setup, alice):
    first, entries = setup["first"], setup["entries"]
    a3 = entries[2]
    with pytest.raises(ValidationError) as error:
        advancement.advance(round=first, actor=alice, top_k_per_unit=2, overrides={a3.pk: (Outcome.ADVANCED, "  ")})
    assert a3.number in error.value.messages[0]
    assert not Decision.objects.exists()

    with pytest.raises(ValidationError, match="not in this round"):
        advancement.advance(round=first, actor=alice, top_k_per_unit=2, overrides={999999: (Outcome.ADVANCED, "x")})

    advancement.advance(
        round=first,
        actor=alice,
        top_k_per_unit=2,
        overrides={str(a3.pk): (Outcome.ADVANCED, "Jury found a rare voice <script>alert(1)</script>")},
    )
    decision = Decision.objects.get(round=first, entry=a3)
    assert decision.outcome == Outcome.ADVANCED and decision.overridden
    assert decision.reason.startswith("Jury found")
    assert a3.number in next_list(setup["second"])
    assert ActionLog.objects.filter(action=LoggedAction.DECISION_OVERRIDDEN, subject=a3.number).exists()


def test_override_decision_keeps_next_round_in_step(setup, alice):
    first, second, entries = setup["first"], setup["second"], setup["entries"]
    a1, a3 = entries[0], entries[2]
    advancement.advance(round=first, actor=alice, top_k_per_unit=2)

    decision = Decision.objects.get(round=first, entry=a1)
    with pytest.raises(ValidationError, match="give a reason"):
        advancement.override_decision(decision=decision, outcome=Outcome.NOT_ADVANCED, reason="", actor=alice)
    assert a1.number in next_list(second)

    advancement.override_decision(
        decision=decision, outcome=Outcome.NOT_ADVANCED, reason="Plagiarism found", actor=alice
    )
    assert a1.number not in next_list(second)
    promoted = Decision.objects.get(round=first, entry=a3)
    advancement.override_decision(decision=promoted, outcome=Outcome.ADVANCED, reason="Wildcard", actor=alice)
    assert a3.number in next_list(second)
    log = ActionLog.objects.filter(action=LoggedAction.DECISION_OVERRIDDEN).latest("pk")
    assert log.data["added_to_next_round"] == [a3.number] and log.data["reason"] == "Wildcard"


def test_ineligible_entry_never_goes_on(setup, alice):
    first, entries = setup["first"], setup["entries"]
    a1 = entries[0]
    a1.status = "withdrawn"
    a1.save()
    advancement.advance(round=first, actor=alice, top_k_per_unit=2)
    assert outcomes(first)[a1.number] == Outcome.NOT_ADVANCED
    decision = Decision.objects.get(round=first, entry=a1)
    with pytest.raises(ValidationError, match="only eligible entries"):
        advancement.override_decision(decision=decision, outcome=Outcome.ADVANCED, reason="Please", actor=alice)
