"""`seed_demo` adds demo judging (judging/demo.py, through portal.demo.demo_seeded after the demo entries).

Seeding the demo is slow (entries, images, small videos), so one test seeds once and checks everything."""

from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone

from judging import demo, ledger
from judging.assignment import coverage
from judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    CriterionScore,
    Invitation,
    LedgerEntry,
    PanelMembership,
    Round,
    RoundEntry,
    RoundKind,
    Score,
    ScoreStatus,
)
from portal.demo import DEMO_JUDGES, seed_demo
from portal.models import ActionLog, Competition, LoggedAction
from submissions.models import Entry, EntryStatus

pytestmark = pytest.mark.django_db


def snapshot(competition):
    return {
        "rounds": Round.objects.filter(competition=competition).count(),
        "round_entries": RoundEntry.objects.count(),
        "panel": PanelMembership.objects.count(),
        "invitations": Invitation.objects.count(),
        "assignments": sorted(Assignment.objects.values_list("round_id", "entry_id", "judge_id")),
        "scores": sorted(Score.objects.values_list("entry_id", "judge_id", "status", "version")),
        "ledger": LedgerEntry.objects.count(),
        "log": ActionLog.objects.count(),
    }


def test_demo_judging(django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        competition = seed_demo()

    # Three default rounds. The preliminary one holds every eligible demo entry; the results demo (judging.demo_results)
    # then closes it, publishes its result and opens the semi-final for the demo judges.
    rounds = list(Round.objects.filter(competition=competition).order_by("position"))
    assert [round.kind for round in rounds] == [RoundKind.PRELIMINARY, RoundKind.SEMI_FINAL, RoundKind.FINAL]
    first = rounds[0]
    assert not first.is_open() and rounds[1].is_open()
    assert rounds[1].closes_at > timezone.now() + timezone.timedelta(days=10)
    eligible = set(
        Entry.objects.filter(competition=competition, status=EntryStatus.ELIGIBLE).values_list("pk", flat=True)
    )
    assert eligible
    assert set(first.round_entries.values_list("entry_id", flat=True)) == eligible
    assert not RoundEntry.objects.filter(round=rounds[2]).exists()
    assert set(rounds[1].round_entries.values_list("source", flat=True)) == {"advanced"}

    # The five demo judges sit on its panel with the terms accepted and some expertise; one invitation pending.
    panel = PanelMembership.objects.filter(round=first).select_related("judge")
    assert sorted(membership.judge.email for membership in panel) == sorted(DEMO_JUDGES)
    assert all(membership.active and membership.terms_accepted_at for membership in panel)
    assert all(membership.expertise.exists() for membership in panel)
    assert Invitation.objects.pending().filter(round=first, email=demo.PENDING_INVITATION).exists()
    assert Invitation.objects.filter(round=first, accepted_at__isnull=False).count() == 5

    # judge5's former studio is an entrant's organisation: a detected conflict, never assigned.
    detected = Conflict.objects.filter(competition=competition, source=ConflictSource.DETECTED)
    assert detected.filter(judge__email="judge5@example.com", waived_at__isnull=True).exists()
    conflicted = set(detected.values_list("judge_id", "entry_id"))
    assert not conflicted & set(Assignment.objects.values_list("judge_id", "entry_id"))

    # Every entry has exactly judges_per_entry active judges (or too few eligible judges, reported short).
    assignments = Assignment.objects.filter(round=first)
    assert assignments.count() == Assignment.objects.active().filter(round=first).count()
    for row in coverage(first):
        eligible_judges = 5 - sum(1 for _judge, entry_id in conflicted if entry_id == row.entry_id)
        assert row.judge_count == min(first.judges_per_entry, eligible_judges)
    loads = Counter(assignments.values_list("judge_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1
    assert ActionLog.objects.filter(action=LoggedAction.ASSIGNMENTS_CHANGED, data__seed=demo.ASSIGNMENT_SEED).exists()

    # Every assigned judge has scored round 1 (its result is published): values on the step, comments where required.
    scores = Score.objects.filter(round=first).select_related("judge")
    assert {score.judge_id for score in scores} == set(
        Assignment.objects.active().filter(round=first).values_list("judge_id", flat=True)
    )
    statuses = Counter(scores.values_list("status", flat=True))
    assert statuses[ScoreStatus.SUBMITTED] == scores.count() and statuses[ScoreStatus.DRAFT] == 0
    assert all(score.total is not None and score.comment for score in scores if score.status == ScoreStatus.SUBMITTED)
    values = CriterionScore.objects.filter(score__round=first).select_related("criterion", "score")
    for value in values:
        criterion = value.criterion
        if value.value is None:
            assert value.score.status == ScoreStatus.DRAFT
            continue
        assert criterion.min_score <= value.value <= criterion.max_score
        assert (value.value - criterion.min_score) % criterion.step == 0
        if criterion.comment_required and value.score.status == ScoreStatus.SUBMITTED:
            assert value.comment
    assert PanelMembership.objects.filter(round=first, judge__email="judge1@example.com").get().last_active_at

    # The scores went into the ledger, and its chain holds.
    assert LedgerEntry.objects.filter(competition=competition).count() >= scores.count()
    assert ledger.verify(competition=competition) is None
    assert mail.outbox == []  # nobody is emailed by the demo

    # Seeding again changes nothing; nor does the receiver sent again on its own.
    before = snapshot(competition)
    settings.DEBUG = True
    assert seed_demo() == competition
    assert demo.seed_demo_judging(Competition, competition=competition, organizer=None, judges=[]) == []
    assert snapshot(competition) == before
