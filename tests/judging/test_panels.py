"""Panel membership: adding a judge directly, unit expertise, dropping out, the judge profile, progress."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from judging import panels
from judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    JudgeProfile,
    PanelMembership,
    RoundEntry,
    Score,
    ScoreStatus,
)
from portal.models import ActionLog, LoggedAction, Profile, Role
from tests.factories import (
    AssignmentFactory,
    EntryFactory,
    PanelMembershipFactory,
    RoleFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
)


def submitted_entry(unit, n, **kwargs):
    """A submitted entry made directly (no files), numbered n."""
    return EntryFactory(
        unit=unit, status="submitted", sequence=n, number=f"{unit.competition.entry_prefix}-{n:04d}", **kwargs
    )


def score(round, entry, judge, status=ScoreStatus.SUBMITTED):
    return Score.objects.create(round=round, entry=entry, judge=judge, rubric=round.rubrics.first(), status=status)


@pytest.fixture
def second_round(competition):
    round = RoundFactory(competition=competition, position=2, kind="semi_final", name_zh="复评", name_en="Semi-final")
    RubricFactory(round=round)
    return round


# --- Adding a judge -----------------------------------------------------------------------------------------------


def test_add_judge_copies_the_accepted_terms(bob_membership, second_round, alice, unit, bob):
    membership = panels.add_judge(round=second_round, user=bob, actor=alice, expertise=[unit])
    assert membership.active and membership.round == second_round
    assert membership.terms_accepted_at == bob_membership.terms_accepted_at
    assert membership.terms_version == bob_membership.terms_version
    assert list(membership.expertise.all()) == [unit]
    assert bob.has_perm("judging.score_round", second_round)
    assert ActionLog.objects.filter(action=LoggedAction.JUDGE_JOINED, actor=alice, subject=bob.email).exists()


def test_add_judge_refuses_a_judge_without_accepted_terms(second_round, alice, bob):
    with pytest.raises(ValidationError):
        panels.add_judge(round=second_round, user=bob, actor=alice)
    assert not PanelMembership.objects.filter(round=second_round).exists()


def test_add_judge_refuses_someone_without_the_judge_role(second_round, alice, charlie):
    with pytest.raises(ValidationError):
        panels.add_judge(round=second_round, user=charlie, actor=alice)


def test_add_judge_refuses_a_member(judging_round, bob_membership, alice, bob):
    with pytest.raises(ValidationError):
        panels.add_judge(round=judging_round, user=bob, actor=alice)


def test_a_dropped_judge_can_be_added_back(judging_round, bob_membership, alice, bob):
    panels.drop_judge(membership=bob_membership, actor=alice)
    membership = panels.add_judge(round=judging_round, user=bob, actor=alice)
    assert membership.pk == bob_membership.pk and membership.active and membership.dropped_at is None


def test_add_judge_refuses_units_of_another_competition(bob_membership, second_round, alice, bob):
    with pytest.raises(ValidationError):
        panels.add_judge(round=second_round, user=bob, actor=alice, expertise=[UnitFactory()])


def test_set_expertise(bob_membership, alice, unit, competition):
    other = UnitFactory(competition=competition)
    panels.set_expertise(membership=bob_membership, units=[unit, other], actor=alice)
    assert set(bob_membership.expertise.all()) == {unit, other}
    panels.set_expertise(membership=bob_membership, units=[], actor=alice)
    assert not bob_membership.expertise.exists()
    with pytest.raises(ValidationError):
        panels.set_expertise(membership=bob_membership, units=[UnitFactory()], actor=alice)


# --- Dropping out -------------------------------------------------------------------------------------------------


def test_drop_judge_keeps_scores_and_frees_assignments(assignment, bob_membership, alice, bob, judging_round, unit):
    scored_entry = submitted_entry(unit, 90)
    AssignmentFactory(round=judging_round, entry=scored_entry, judge=bob)
    kept = score(judging_round, scored_entry, bob)

    membership = panels.drop_judge(membership=bob_membership, actor=alice, reason="Illness")
    assert not membership.active and membership.dropped_at is not None
    assert not Assignment.objects.active().filter(judge=bob).exists()
    assert Assignment.objects.filter(judge=bob).count() == 2  # the rows stay; re-assignment moves them
    assert Score.objects.filter(pk=kept.pk).exists()
    log = ActionLog.objects.get(action=LoggedAction.JUDGE_DROPPED)
    assert log.data["reason"] == "Illness" and log.data["unscored_assignments"] == 1
    assert not bob.has_perm("judging.score_round", judging_round)
    # Dropping twice changes nothing more.
    panels.drop_judge(membership=membership, actor=alice)
    assert ActionLog.objects.filter(action=LoggedAction.JUDGE_DROPPED).count() == 1


# --- The judge profile ----------------------------------------------------------------------------------------------


def test_update_profile_reruns_detection(bob_membership, bob, entrant_entry, charlie):
    Profile.objects.update_or_create(user=charlie, defaults={"organisation": "星光影业有限公司"})
    panels.update_judge_profile(user=bob, affiliations="星光影业\n", bio="Director")
    profile = JudgeProfile.objects.get(user=bob)
    assert profile.affiliations == "星光影业" and profile.bio == "Director"
    conflict = Conflict.objects.get(judge=bob, entry=entrant_entry)
    assert conflict.source == ConflictSource.DETECTED
    # Taking the affiliation away removes the (unwaived) detected conflict again.
    panels.update_judge_profile(user=bob, affiliations="")
    assert not Conflict.objects.filter(judge=bob).exists()


def test_update_profile_refuses_too_long_text(bob):
    with pytest.raises(ValidationError):
        panels.update_judge_profile(user=bob, affiliations="a" * 2500)
    with pytest.raises(ValidationError):
        panels.update_judge_profile(user=bob, affiliations="", bio="b" * 1500)


# --- Progress -------------------------------------------------------------------------------------------------------


@pytest.fixture(params=["judge_progress", "judge_progress_rows"])
def progress(request):
    """Both forms of the progress: the queryset (reminders filter it) and the list pages and exports use."""
    return getattr(panels, request.param)


def test_progress_counts(progress, judging_round, bob_membership, erin, bob, unit, alice):
    entries = [submitted_entry(unit, n) for n in range(1, 6)]
    for entry in entries:
        RoundEntry.objects.create(round=judging_round, entry=entry)
        AssignmentFactory(round=judging_round, entry=entry, judge=bob)
    score(judging_round, entries[0], bob)
    score(judging_round, entries[1], bob)
    score(judging_round, entries[2], bob, status=ScoreStatus.DRAFT)
    # A conflicted assignment does not count, nor does its score.
    Conflict.objects.create(
        competition=judging_round.competition, judge=bob, entry=entries[1], source=ConflictSource.DECLARED, basis="x"
    )
    # A score without an assignment does not count either.
    score(judging_round, submitted_entry(unit, 50), bob)
    AssignmentFactory(round=judging_round, entry=entries[0], judge=erin)

    rows = {row.judge: row for row in progress(judging_round)}
    assert (rows[bob].assigned, rows[bob].scored, rows[bob].drafts, rows[bob].remaining) == (4, 1, 1, 3)
    assert (rows[erin].assigned, rows[erin].scored, rows[erin].drafts) == (1, 0, 0)
    assert [row.judge for row in progress(judging_round)][0] == erin  # least progress first

    panels.drop_judge(membership=bob_membership, actor=alice)
    rows = {row.judge: row for row in progress(judging_round)}
    assert rows[bob].assigned == 0 and not rows[bob].active
    assert list(progress(judging_round))[-1].judge == bob  # inactive members last


def test_progress_of_a_judge_without_assignments(progress, judging_round, bob_membership):
    (row,) = progress(judging_round)
    assert (row.assigned, row.scored, row.drafts, row.share) == (0, 0, 0, None)


def test_progress_only_counts_this_round(progress, judging_round, second_round, bob_membership, bob, unit):
    entry = submitted_entry(unit, 7)
    AssignmentFactory(round=judging_round, entry=entry, judge=bob)
    PanelMembershipFactory(round=second_round, judge=bob)
    AssignmentFactory(round=second_round, entry=entry, judge=bob)
    score(second_round, entry, bob)
    (row,) = progress(judging_round)
    assert (row.assigned, row.scored) == (1, 0)


def _add_judges(round, unit, count, start):
    for n in range(count):
        judge = UserFactory()
        RoleFactory(competition=round.competition, user=judge, role=Role.JUDGE)
        PanelMembershipFactory(round=round, judge=judge, with_role=False)
        entry = submitted_entry(unit, start + n)
        AssignmentFactory(round=round, entry=entry, judge=judge)
        score(round, entry, judge)


def test_progress_query_count_is_flat(progress, judging_round, unit):
    _add_judges(judging_round, unit, 1, 100)
    with CaptureQueriesContext(connection) as one:
        rows = list(progress(judging_round))
        [(row.judge.email, row.assigned, row.scored) for row in rows]
    _add_judges(judging_round, unit, 9, 200)
    with CaptureQueriesContext(connection) as ten:
        rows = list(progress(judging_round))
        [(row.judge.email, row.assigned, row.scored) for row in rows]
    assert len(rows) == 10 and all(row.scored == 1 for row in rows)
    # The queryset counts per judge in SQL; the list groups assignments and scores once each.
    assert len(one) == len(ten) == (1 if progress is panels.judge_progress else 3)
