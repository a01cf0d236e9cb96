"""`seed_demo` finishes round 1, advances a shortlist into an open round 2 and publishes round 1's result in
its public notice with one open objection (judging/demo_results.py). Seeding is slow: one test checks it all."""

from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from judging import demo_results, ledger, versions
from judging.models import (
    Assignment,
    Decision,
    NotificationStatus,
    ObjectionStatus,
    Outcome,
    PanelMembership,
    ResultNotification,
    ResultVersion,
    Round,
    RoundEntry,
    RoundEntrySource,
    Score,
    ScoreStatus,
    VersionStatus,
)
from portal.demo import DEMO_ENTRANTS, DEMO_JUDGES, seed_demo
from portal.models import Competition

pytestmark = pytest.mark.django_db


def test_demo_results(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        competition = seed_demo()
    first, second, final = Round.objects.filter(competition=competition).order_by("position")
    now = timezone.now()

    # Round 1 is closed, every active assignment has a submitted score.
    assert not first.is_open() and first.closes_at <= now
    assert not versions.unscored_assignments(first).exists()
    assert Score.objects.filter(round=first, status=ScoreStatus.DRAFT).count() == 0
    assert ledger.verify(competition=competition) is None

    # The top 2 per unit went on; they are round 2's list, which is open for the five demo judges.
    decisions = Decision.objects.filter(round=first).select_related("entry")
    by_unit = defaultdict(list)
    for decision in decisions.order_by("rank"):
        by_unit[decision.entry.unit_id].append(decision.outcome)
    for outcomes in by_unit.values():
        assert outcomes[: demo_results.TOP_PER_UNIT] == [Outcome.ADVANCED] * min(2, len(outcomes))
        assert Outcome.ADVANCED not in outcomes[demo_results.TOP_PER_UNIT :]
    advanced = set(decisions.filter(outcome=Outcome.ADVANCED).values_list("entry_id", flat=True))
    assert advanced
    assert set(RoundEntry.objects.filter(round=second).values_list("entry_id", flat=True)) == advanced
    assert set(RoundEntry.objects.filter(round=second).values_list("source", flat=True)) == {RoundEntrySource.ADVANCED}
    assert second.is_open() and not final.is_open()
    panel = PanelMembership.objects.filter(round=second, active=True).select_related("judge")
    assert sorted(membership.judge.email for membership in panel) == sorted(DEMO_JUDGES)
    assert Assignment.objects.active().filter(round=second).exists()
    loads = Counter(Assignment.objects.filter(round=second).values_list("judge_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1

    # Round 1's result is published, in its 7-day notice, with one open objection by entrant2.
    (version,) = ResultVersion.objects.filter(round__competition=competition)
    assert version.round == first and version.status == VersionStatus.PUBLISHED and version.in_notice()
    assert (version.notice_ends_at - version.published_at).days in (6, 7)
    (objection,) = version.objections.all()
    assert objection.author.email == DEMO_ENTRANTS[1] and objection.status == ObjectionStatus.OPEN
    assert objection.entry_id in {row["entry_id"] for row in version.ranking}
    # Its emails are recorded as sent, but the demo emails nobody.
    notifications = ResultNotification.objects.filter(version=version)
    assert notifications.exists()
    assert set(notifications.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert mail.outbox == []

    # The published ranking is reproducible.
    out = StringIO()
    call_command("recompute_results", str(first.pk), stdout=out)
    assert "Reproduced exactly" in out.getvalue()

    # Seeding again changes nothing, nor does the receiver sent on its own.
    counts = (
        ResultVersion.objects.count(),
        Score.objects.count(),
        Decision.objects.count(),
        Assignment.objects.count(),
    )
    assert seed_demo() == competition
    assert demo_results.seed_demo_results(Competition, competition=competition, organizer=None) is None
    assert counts == (
        ResultVersion.objects.count(),
        Score.objects.count(),
        Decision.objects.count(),
        Assignment.objects.count(),
    )
