"""Rounds and their entry lists, and the live final (who has scored; results only after the reveal)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from judging import ledger
from judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    LedgerEntry,
    LedgerKind,
    PeerScores,
    Round,
    RoundEntry,
    RoundKind,
    Rubric,
    Score,
)
from judging.scoring import CriterionInput, save_score
from judging.services import (
    NotReady,
    add_round_entry,
    create_default_rounds,
    create_round,
    live_status,
    populate_round,
    remove_round_entry,
    reveal_live_result,
    set_live_entry,
    update_round,
)
from portal.models import ActionLog, LoggedAction, TrackKind
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    EntryFactory,
    PanelMembershipFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def window(days=1):
    now = timezone.now()
    return {"opens_at": now - timedelta(days=days), "closes_at": now + timedelta(days=14)}


# --- rounds -------------------------------------------------------------------------------------------------


def test_rounds_are_numbered_in_order_with_a_default_rubric_per_track(competition, alice, unit):
    first = create_round(competition=competition, actor=alice, kind=RoundKind.PRELIMINARY, name_zh="初评", **window())
    second = create_round(
        competition=competition,
        actor=alice,
        kind=RoundKind.SEMI_FINAL,
        name_zh="复评",
        name_en="Semi-final",
        units=[unit],
        judges_per_entry=5,
        required_watch_share=60,
        peer_scores=PeerScores.AFTER_OWN,
        **window(),
    )
    assert (first.position, second.position) == (1, 2)
    assert list(second.units.all()) == [unit]
    assert (second.judges_per_entry, second.required_watch_share, second.peer_scores) == (5, 60, "after_own")
    rubrics = {r.track.kind: r for r in Rubric.objects.filter(round=second).select_related("track")}
    assert set(rubrics) == {TrackKind.WORK, TrackKind.STORY}
    assert [c.weight for c in rubrics["work"].criteria.all()] == [30, 30, 25, 15]
    assert rubrics["story"].criteria.first().key == "story_theme"
    assert all(r.version == 1 and not r.is_frozen for r in rubrics.values())
    assert ActionLog.objects.filter(action=LoggedAction.ROUND_CREATED, competition=competition).count() == 2
    # Each rubric is recorded in the ledger, so every score can be traced to the criteria it used.
    assert LedgerEntry.objects.filter(kind=LedgerKind.RUBRIC_CHANGED).count() == 4
    assert ledger.verify() is None


def test_a_round_must_close_after_it_opens_and_use_its_own_units(competition, alice):
    now = timezone.now()
    with pytest.raises(ValidationError):
        create_round(
            competition=competition, actor=alice, kind="preliminary", name_zh="初评", opens_at=now, closes_at=now
        )
    foreign = UnitFactory(competition=CompetitionFactory())
    with pytest.raises(ValidationError) as caught:
        create_round(
            competition=competition, actor=alice, kind="preliminary", name_zh="初评", units=[foreign], **window()
        )
    assert "units of this competition" in caught.value.messages[0]
    assert not Round.objects.exists() and not LedgerEntry.objects.exists()


def test_default_rounds_follow_the_deadline_and_are_refused_twice(competition, alice):
    rounds = create_default_rounds(competition=competition, actor=alice)
    assert [(r.kind, r.name_zh, r.position) for r in rounds] == [
        ("preliminary", "初评", 1),
        ("semi_final", "复评", 2),
        ("final", "终评", 3),
    ]
    assert rounds[0].opens_at > competition.submission_closes_at
    for previous, following in zip(rounds, rounds[1:], strict=False):
        assert following.opens_at - previous.closes_at == timedelta(weeks=1)
    assert all(r.closes_at - r.opens_at == timedelta(weeks=2) for r in rounds)
    final = rounds[2]
    assert final.live_final and final.judges_per_entry == 7 and final.peer_scores == PeerScores.NEVER
    assert Rubric.objects.filter(round__in=rounds).count() == 6

    with pytest.raises(ValidationError) as caught:
        create_default_rounds(competition=competition, actor=alice)
    assert "already has rounds" in caught.value.messages[0]
    assert Round.objects.filter(competition=competition).count() == 3


def test_update_round_saves_and_logs_the_changed_fields(judging_round, alice, unit):
    judging_round.judges_per_entry = 4
    update_round(round=judging_round, actor=alice, changed_fields=["judges_per_entry"], units=[unit])
    judging_round.refresh_from_db()
    assert judging_round.judges_per_entry == 4 and list(judging_round.units.all()) == [unit]
    log = ActionLog.objects.get(action=LoggedAction.ROUND_CHANGED)
    assert log.data == {"fields": ["judges_per_entry", "units"]}
    judging_round.closes_at = judging_round.opens_at
    with pytest.raises(ValidationError):
        update_round(round=judging_round, actor=alice, changed_fields=["closes_at"])


# --- the entry list -------------------------------------------------------------------------------------------


@pytest.fixture
def entries(competition, unit):
    other_unit = UnitFactory(competition=competition)
    eligible_here = eligible_entry(unit)
    eligible_there = eligible_entry(other_unit)
    draft_here = EntryFactory(unit=unit)
    ineligible_here = eligible_entry(unit)
    ineligible_here.status = "ineligible"
    ineligible_here.save()
    eligible_entry(UnitFactory(competition=CompetitionFactory()))  # another competition's
    return {
        "here": eligible_here,
        "there": eligible_there,
        "draft": draft_here,
        "ineligible": ineligible_here,
        "other_unit": other_unit,
    }


def test_populate_adds_only_eligible_entries_of_covered_units_once(judging_round, alice, unit, entries):
    judging_round.units.set([unit])
    assert populate_round(round=judging_round, actor=alice) == 1
    assert list(RoundEntry.objects.filter(round=judging_round).values_list("entry", flat=True)) == [entries["here"].pk]
    assert populate_round(round=judging_round, actor=alice) == 0
    assert ActionLog.objects.filter(action=LoggedAction.ROUND_ENTRIES_CHANGED).count() == 1
    # A round without units covers every unit.
    judging_round.units.clear()
    assert populate_round(round=judging_round, actor=alice) == 1
    assert set(RoundEntry.objects.filter(round=judging_round).values_list("entry", flat=True)) == {
        entries["here"].pk,
        entries["there"].pk,
    }
    assert RoundEntry.objects.filter(round=judging_round, source="eligible", added_by=alice).count() == 2


def test_add_round_entry_checks_the_entry_and_is_idempotent(judging_round, alice, unit, entries):
    judging_round.units.set([unit])
    added = add_round_entry(round=judging_round, entry=entries["here"], actor=alice)
    assert added.source == "added" and added.added_by == alice
    assert add_round_entry(round=judging_round, entry=entries["here"], actor=alice) == added
    for key, message in [("ineligible", "Only eligible"), ("draft", "Only eligible"), ("there", "unit")]:
        with pytest.raises(ValidationError) as caught:
            add_round_entry(round=judging_round, entry=entries[key], actor=alice)
        assert message in caught.value.messages[0]
    foreign = eligible_entry(UnitFactory(competition=CompetitionFactory()))
    with pytest.raises(ValidationError):
        add_round_entry(round=judging_round, entry=foreign, actor=alice)
    assert RoundEntry.objects.filter(round=judging_round).count() == 1


def test_remove_round_entry_takes_its_assignments_and_is_refused_after_a_score(assignment, alice, erin):
    round, entry = assignment.round, assignment.entry
    other = eligible_entry(entry.unit)
    RoundEntry.objects.create(round=round, entry=other)
    AssignmentFactory(round=round, entry=other, judge=erin)
    remove_round_entry(round=round, entry=other, actor=alice)
    assert not RoundEntry.objects.filter(round=round, entry=other).exists()
    assert not Assignment.objects.filter(round=round, entry=other).exists()

    rubric = Rubric.objects.get(round=round)
    save_score(assignment=assignment, values={rubric.criteria.first().pk: CriterionInput(Decimal("5"))}, submit=False)
    with pytest.raises(ValidationError) as caught:
        remove_round_entry(round=round, entry=entry, actor=alice)
    assert "already scored" in caught.value.messages[0]
    assert RoundEntry.objects.filter(round=round, entry=entry).exists()
    assert Assignment.objects.filter(pk=assignment.pk).exists()


# --- live final -----------------------------------------------------------------------------------------------


@pytest.fixture
def live(assignment, erin, competition):
    """bob and erin judge the live entry; carol is conflicted, dan dropped out (neither is waited for)."""
    round = assignment.round
    round.live_final = True
    round.save()
    AssignmentFactory(round=round, entry=assignment.entry, judge=erin)
    carol = UserFactory(display_name="Carol")
    PanelMembershipFactory(round=round, judge=carol)
    AssignmentFactory(round=round, entry=assignment.entry, judge=carol)
    Conflict.objects.create(
        competition=competition, judge=carol, entry=assignment.entry, source=ConflictSource.DECLARED, basis="x"
    )
    dan = UserFactory(display_name="Dan")
    PanelMembershipFactory(round=round, judge=dan, active=False)
    AssignmentFactory(round=round, entry=assignment.entry, judge=dan)
    return round


def submit(round, entry, judge, story, craft):
    assignment = Assignment.objects.select_related("entry__track").get(round=round, entry=entry, judge=judge)
    rubric = Rubric.objects.get(round=round)
    values = {c.pk: CriterionInput(Decimal(story if c.key == "story" else craft), "c") for c in rubric.criteria.all()}
    return save_score(assignment=assignment, values=values, submit=True)


def numbers_in(value):
    """Every Decimal anywhere in the structure (scores are Decimals)."""
    if isinstance(value, Decimal):
        return [value]
    if isinstance(value, dict):
        return [n for item in value.values() for n in numbers_in(item)]
    if isinstance(value, list | tuple):
        return [n for item in value for n in numbers_in(item)]
    return []


def test_live_status_shows_who_scored_and_hides_scores_until_the_reveal(live, assignment, bob, erin, alice):
    entry = assignment.entry
    assert live_status(live)["entry"] is None
    set_live_entry(round=live, entry=entry, actor=alice)
    live.refresh_from_db()
    status = live_status(live)
    assert status["entry"] == entry and not status["all_in"] and not status["revealed"]
    assert [(row["judge"], row["submitted"]) for row in status["judges"]] == [(bob, False), (erin, False)]

    submit(live, entry, bob, "8", "6")
    with pytest.raises(NotReady) as caught:
        reveal_live_result(round=live, actor=alice)
    assert "1 of 2 judges" in str(caught.value)
    status = live_status(live)
    assert [row["submitted"] for row in status["judges"]] == [True, False]
    assert status["result"] is None and numbers_in(status) == []

    submit(live, entry, erin, "6", "4")
    live.refresh_from_db()
    status = live_status(live)
    assert status["all_in"] and status["result"] is None and numbers_in(status) == []

    reveal_live_result(round=live, actor=alice)
    live.refresh_from_db()
    status = live_status(live)
    assert status["revealed"]
    result = status["result"]
    # bob (80% x 60 + 60% x 40) = 72, erin (60% x 60 + 40% x 40) = 52; carol's conflicted score never counts
    assert result["count"] == 2 and result["mean_total"] == Decimal("62.000")
    means = {row["criterion"].key: row["mean"] for row in result["criteria"]}
    assert means == {"story": Decimal("7.000"), "craft": Decimal("5.000")}
    logs = ActionLog.objects.filter(action=LoggedAction.LIVE_CHANGED).order_by("id")
    assert [log.data["revealed"] for log in logs] == [False, True]


def test_a_conflicted_judges_score_does_not_count_in_the_live_result(live, assignment, bob, erin, alice):
    carol = Assignment.objects.get(round=live, judge__display_name="Carol").judge
    Score.objects.create(
        round=live,
        entry=assignment.entry,
        judge=carol,
        rubric=Rubric.objects.get(round=live),
        status="submitted",
        total=Decimal("0"),
        submitted_at=timezone.now(),
    )
    set_live_entry(round=live, entry=assignment.entry, actor=alice)
    submit(live, assignment.entry, bob, "8", "6")
    submit(live, assignment.entry, erin, "8", "6")
    reveal_live_result(round=live, actor=alice)
    live.refresh_from_db()
    result = live_status(live)["result"]
    assert result["count"] == 2 and result["mean_total"] == Decimal("72.000")


def test_choosing_a_new_entry_clears_the_reveal_and_only_round_entries_go_live(live, assignment, alice, bob, erin):
    set_live_entry(round=live, entry=assignment.entry, actor=alice)
    submit(live, assignment.entry, bob, "8", "6")
    submit(live, assignment.entry, erin, "8", "6")
    reveal_live_result(round=live, actor=alice)
    stranger = eligible_entry(assignment.entry.unit)
    with pytest.raises(ValidationError):
        set_live_entry(round=live, entry=stranger, actor=alice)
    RoundEntry.objects.create(round=live, entry=stranger)
    set_live_entry(round=live, entry=stranger, actor=alice)
    live.refresh_from_db()
    assert live.live_entry == stranger and not live.live_revealed
    with pytest.raises(NotReady):  # nobody is assigned to it yet
        reveal_live_result(round=live, actor=alice)


def test_live_actions_need_a_live_final(judging_round, assignment, alice):
    with pytest.raises(ValidationError):
        set_live_entry(round=judging_round, entry=assignment.entry, actor=alice)
    judging_round.live_final = True
    judging_round.save()
    with pytest.raises(ValidationError) as caught:
        reveal_live_result(round=judging_round, actor=alice)
    assert "Choose the entry" in caught.value.messages[0]
