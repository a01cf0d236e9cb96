"""judging.assignment services against the database: auto_assign, assign, unassign and coverage."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from judging.assignment import AssignmentError, assign, auto_assign, coverage, unassign
from judging.models import (
    Assignment,
    AssignmentMethod,
    Conflict,
    ConflictDeclaration,
    ConflictSource,
    JudgeProfile,
    PanelMembership,
    RoundEntry,
    Score,
)
from portal.models import ActionLog, LoggedAction, Profile
from tests.factories import PanelMembershipFactory, UnitFactory, UserFactory, eligible_entry


def add_entries(round, unit, count):
    entries = [eligible_entry(unit) for _ in range(count)]
    RoundEntry.objects.bulk_create([RoundEntry(round=round, entry=entry) for entry in entries])
    return entries


def add_judges(round, count, **kwargs):
    return [PanelMembershipFactory(round=round, **kwargs).judge for _ in range(count)]


def pairs(round, **filters):
    return set(Assignment.objects.filter(round=round, **filters).values_list("entry_id", "judge_id"))


def declare_entry_conflict(judge, entry):
    declaration = ConflictDeclaration.objects.create(
        competition=entry.competition, judge=judge, kind="entry", entry=entry, reason="我是制片人"
    )
    return Conflict.objects.create(
        competition=entry.competition,
        judge=judge,
        entry=entry,
        source=ConflictSource.DECLARED,
        basis="Declared by the judge",
        declaration=declaration,
    )


def score(round, entry, judge, status="draft"):
    return Score.objects.create(
        round=round,
        entry=entry,
        judge=judge,
        rubric=round.rubrics.first(),
        status=status,
        submitted_at=timezone.now() if status == "submitted" else None,
    )


@pytest.fixture
def panel(judging_round):
    return add_judges(judging_round, 4)


@pytest.fixture
def entries(judging_round, unit):
    return add_entries(judging_round, unit, 6)


# --- auto_assign ----------------------------------------------------------------------------------------------


def test_auto_assign_fills_every_entry_with_balanced_load(judging_round, panel, entries, alice):
    report = auto_assign(round=judging_round, actor=alice, seed=4)

    assert (report.created, report.removed, report.kept, report.short) == (18, 0, 0, {})
    rows = Assignment.objects.filter(round=judging_round)
    per_entry = Counter(rows.values_list("entry_id", flat=True))
    assert per_entry == dict.fromkeys((entry.id for entry in entries), 3)
    per_judge = Counter(rows.values_list("judge_id", flat=True))
    assert sorted(per_judge.values()) == [4, 4, 5, 5]
    assert set(rows.values_list("method", flat=True)) == {AssignmentMethod.AUTO}
    assert set(rows.values_list("assigned_by", flat=True)) == {alice.id}
    log = ActionLog.objects.get(action=LoggedAction.ASSIGNMENTS_CHANGED)
    assert log.actor == alice
    assert log.data["seed"] == 4
    assert log.data["created"] == 18
    assert log.data["short_entries"] == 0


def test_auto_assign_is_deterministic_and_rerunning_changes_nothing(judging_round, panel, entries, alice):
    auto_assign(round=judging_round, actor=alice, seed=9)
    first = pairs(judging_round)
    Assignment.objects.all().delete()
    auto_assign(round=judging_round, actor=alice, seed=9)
    assert pairs(judging_round) == first

    report = auto_assign(round=judging_round, actor=alice, seed=123)
    assert (report.created, report.removed, report.kept) == (0, 0, 18)
    assert pairs(judging_round) == first


def test_rerun_after_a_judge_drops_out_moves_only_their_entries(judging_round, panel, entries, alice):
    auto_assign(round=judging_round, actor=alice, seed=1)
    before = pairs(judging_round)
    dropped = panel[0]
    their_entries = sorted(entry for entry, judge in before if judge == dropped.id)
    assert len(their_entries) >= 4
    scored_entry = their_entries[0]
    score(judging_round, next(entry for entry in entries if entry.id == scored_entry), dropped, status="submitted")
    PanelMembership.objects.filter(round=judging_round, judge=dropped).update(active=False, dropped_at=timezone.now())

    report = auto_assign(round=judging_round, actor=alice, seed=1)

    after = pairs(judging_round)
    # The other judges' assignments are all still there.
    assert {pair for pair in before if pair[1] != dropped.id} <= after
    # The dropped judge keeps only the scored assignment (inactive now); the unscored ones are gone.
    assert pairs(judging_round, judge=dropped) == {(scored_entry, dropped.id)}
    assert report.removed == len(their_entries) - 1
    assert report.kept == 18 - len(their_entries)
    assert report.created == len(their_entries)
    # Only the dropped judge's entries received a new judge, one each; every entry is back to 3 active judges.
    added = after - before
    assert sorted(entry for entry, _judge in added) == their_entries
    active = Counter(Assignment.objects.active().filter(round=judging_round).values_list("entry_id", flat=True))
    assert active == dict.fromkeys((entry.id for entry in entries), 3)
    assert Score.objects.filter(judge=dropped).count() == 1


def test_conflicted_pairs_are_never_assigned_and_lose_unscored_assignments(judging_round, panel, entries, alice):
    declare_entry_conflict(panel[0], entries[0])
    auto_assign(round=judging_round, actor=alice, seed=2)
    assert (entries[0].id, panel[0].id) not in pairs(judging_round)
    assert Assignment.objects.filter(round=judging_round, entry=entries[0]).count() == 3

    # A conflict declared after assignment: the unscored assignment goes, another judge takes the place.
    victim_entry, victim_judge = sorted(pair for pair in pairs(judging_round) if pair[0] == entries[1].id)[0]
    declare_entry_conflict(next(judge for judge in panel if judge.id == victim_judge), entries[1])
    report = auto_assign(round=judging_round, actor=alice, seed=2)
    assert report.removed == 1
    assert (victim_entry, victim_judge) not in pairs(judging_round)
    assert Assignment.objects.filter(round=judging_round, entry_id=victim_entry).count() == 3


def test_detected_conflict_from_affiliation_is_respected(judging_round, panel, entries, alice):
    owner = entries[2].owner
    Profile.objects.update_or_create(user=owner, defaults={"organisation": "星河影视文化传媒有限公司"})
    JudgeProfile.objects.create(user=panel[1], affiliations="星河影视文化传媒有限公司\n北京电影学院")

    auto_assign(round=judging_round, actor=alice, seed=3)

    assert Conflict.objects.filter(judge=panel[1], entry=entries[2], source=ConflictSource.DETECTED).exists()
    assert (entries[2].id, panel[1].id) not in pairs(judging_round)
    assert Assignment.objects.filter(round=judging_round, entry=entries[2]).count() == 3


def test_too_small_a_panel_is_reported_short(judging_round, unit, alice):
    entries = add_entries(judging_round, unit, 2)
    judges = add_judges(judging_round, 2)
    report = auto_assign(round=judging_round, actor=alice)
    assert report.short == {entries[0].id: 1, entries[1].id: 1}
    assert pairs(judging_round) == {(entry.id, judge.id) for entry in entries for judge in judges}
    assert ActionLog.objects.get(action=LoggedAction.ASSIGNMENTS_CHANGED).data["missing_judges"] == 2


def test_judges_without_accepted_terms_or_of_other_rounds_are_not_used(judging_round, unit, alice):
    from tests.factories import RoundFactory

    entries = add_entries(judging_round, unit, 2)
    judges = add_judges(judging_round, 3)
    PanelMembershipFactory(round=judging_round, terms_accepted_at=None)
    PanelMembershipFactory(round=RoundFactory(competition=judging_round.competition, position=2))
    auto_assign(round=judging_round, actor=alice)
    assert pairs(judging_round) == {(entry.id, judge.id) for entry in entries for judge in judges}


def test_auto_assign_query_count_does_not_grow_with_entries(judging_round, unit, alice):
    other_unit = UnitFactory(competition=judging_round.competition)
    judges = add_judges(judging_round, 5)
    PanelMembership.objects.get(judge=judges[0]).expertise.add(unit)

    def measure(round, count):
        RoundEntry.objects.filter(round=round).delete()
        Assignment.objects.filter(round=round).delete()
        add_entries(round, unit, count // 2)
        add_entries(round, other_unit, count - count // 2)
        with CaptureQueriesContext(connection) as queries:
            auto_assign(round=round, actor=alice)
        assert Assignment.objects.filter(round=round).count() == count * 3
        return len(queries)

    few = measure(judging_round, 10)
    many = measure(judging_round, 60)
    # 180 new rows may take two INSERTs on SQLite (bulk_create batches by its variable limit); nothing per row.
    assert many <= few + 2, (few, many)


# --- manual assign / unassign ---------------------------------------------------------------------------------


def test_manual_assign_creates_and_logs(judging_round, panel, entries, alice):
    assignment = assign(round=judging_round, entry=entries[0], judge=panel[0], actor=alice)
    assert assignment.method == AssignmentMethod.MANUAL
    assert assignment.assigned_by == alice
    log = ActionLog.objects.get(action=LoggedAction.ASSIGNMENTS_CHANGED)
    assert log.data["assigned"] == {"entry": entries[0].id, "judge": panel[0].id}


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
def test_manual_assign_refuses_bad_requests(judging_round, panel, entries, unit, alice):
    outside = eligible_entry(unit)  # not in the round
    with pytest.raises(AssignmentError, match="not in the round"):
        assign(round=judging_round, entry=outside, judge=panel[0], actor=alice)

    stranger = UserFactory()
    with pytest.raises(AssignmentError, match="not an active member"):
        assign(round=judging_round, entry=entries[0], judge=stranger, actor=alice)

    PanelMembership.objects.filter(judge=panel[3]).update(active=False)
    with pytest.raises(AssignmentError, match="not an active member"):
        assign(round=judging_round, entry=entries[0], judge=panel[3], actor=alice)

    declare_entry_conflict(panel[1], entries[0])
    with pytest.raises(AssignmentError, match="conflict of interest"):
        assign(round=judging_round, entry=entries[0], judge=panel[1], actor=alice)

    assign(round=judging_round, entry=entries[0], judge=panel[2], actor=alice)
    with pytest.raises(AssignmentError, match="already assigned"):
        assign(round=judging_round, entry=entries[0], judge=panel[2], actor=alice)

    assert pairs(judging_round) == {(entries[0].id, panel[2].id)}
    assert ActionLog.objects.filter(action=LoggedAction.ASSIGNMENTS_CHANGED).count() == 1


def test_assignment_error_messages_are_translated(judging_round, panel, unit, alice):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(AssignmentError) as error:
        assign(round=judging_round, entry=eligible_entry(unit), judge=panel[0], actor=alice)
    assert str(error.value)  # a message, translated once the catalogue has it


def test_unassign_deletes_and_logs(judging_round, panel, entries, alice):
    assignment = assign(round=judging_round, entry=entries[0], judge=panel[0], actor=alice)
    unassign(assignment=assignment, actor=alice)
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    logs = ActionLog.objects.filter(action=LoggedAction.ASSIGNMENTS_CHANGED).order_by("id")
    assert logs.last().data["unassigned"] == {"entry": entries[0].id, "judge": panel[0].id}


@pytest.mark.parametrize("status", ["draft", "submitted"])
@pytest.mark.usefixtures("english")
def test_unassign_is_refused_once_the_judge_has_a_score(judging_round, panel, entries, alice, status):
    assignment = assign(round=judging_round, entry=entries[0], judge=panel[0], actor=alice)
    score(judging_round, entries[0], panel[0], status=status)
    with pytest.raises(AssignmentError, match="already scored"):
        unassign(assignment=assignment, actor=alice)
    assert Assignment.objects.filter(pk=assignment.pk).exists()


# --- coverage -------------------------------------------------------------------------------------------------


def test_coverage_counts_active_judges_and_counting_scores(judging_round, panel, entries, alice):
    a, b, c, d = panel
    for judge in (a, b, c):
        assign(round=judging_round, entry=entries[0], judge=judge, actor=alice)
    assign(round=judging_round, entry=entries[1], judge=a, actor=alice)
    assign(round=judging_round, entry=entries[1], judge=d, actor=alice)
    score(judging_round, entries[0], a, status="submitted")
    score(judging_round, entries[0], b, status="draft")
    score(judging_round, entries[1], d, status="submitted")
    # d leaves the panel: the assignment no longer counts, the submitted score stays.
    PanelMembership.objects.filter(judge=d).update(active=False)
    # c gets a conflict with entry 0: neither the assignment nor a score would count.
    declare_entry_conflict(c, entries[0])

    rows = {row.entry_id: row for row in coverage(judging_round)}

    assert set(rows) == {entry.id for entry in entries}
    assert (rows[entries[0].id].judge_count, rows[entries[0].id].scored_count) == (2, 1)
    assert (rows[entries[1].id].judge_count, rows[entries[1].id].scored_count) == (1, 1)
    assert (rows[entries[2].id].judge_count, rows[entries[2].id].scored_count) == (0, 0)
    assert all(row.short for row in rows.values())
    judging_round.judges_per_entry = 2
    rows = {row.entry_id: row for row in coverage(judging_round)}
    assert not rows[entries[0].id].short
    assert rows[entries[1].id].short


def test_coverage_query_count_is_flat(judging_round, unit, alice):
    judges = add_judges(judging_round, 3)

    def measure(count):
        RoundEntry.objects.filter(round=judging_round).delete()
        for entry in add_entries(judging_round, unit, count):
            Assignment.objects.create(round=judging_round, entry=entry, judge=judges[0])
        with CaptureQueriesContext(connection) as queries:
            rows = list(coverage(judging_round))
            for row in rows:
                str(row.entry.unit), str(row.entry.track), row.judge_count, row.scored_count, row.short
        assert len(rows) == count
        return len(queries)

    assert measure(5) == measure(25)
