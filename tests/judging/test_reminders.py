"""Reminder emails to judges who have entries left to score (judging.panels.send_reminders)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from judging import panels, tasks
from judging.models import PanelMembership, Round, Score, ScoreStatus
from portal.models import ActionLog, LoggedAction
from tests.factories import AssignmentFactory, EntryFactory, PanelMembershipFactory, UserFactory

_DAY = (datetime.now(ZoneInfo("UTC")) + timedelta(days=3)).date()
CLOSES = datetime(_DAY.year, _DAY.month, _DAY.day, 16, 0, tzinfo=ZoneInfo("UTC"))  # midnight in Shanghai
CLOSES_IN_SHANGHAI = CLOSES.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def submitted_entry(unit, n):
    return EntryFactory(unit=unit, status="submitted", sequence=n, number=f"LCP2026-{n:04d}")


@pytest.fixture
def laggard_round(judging_round, bob_membership, erin, bob, unit):
    """bob has scored 3 of 5 entries; erin has scored all of her 2."""
    Round.objects.filter(pk=judging_round.pk).update(closes_at=CLOSES)
    judging_round.refresh_from_db()
    entries = [submitted_entry(unit, n) for n in range(1, 6)]
    rubric = judging_round.rubrics.first()
    for index, entry in enumerate(entries):
        AssignmentFactory(round=judging_round, entry=entry, judge=bob)
        if index < 3:
            Score.objects.create(
                round=judging_round, entry=entry, judge=bob, rubric=rubric, status=ScoreStatus.SUBMITTED
            )
    for entry in entries[:2]:
        AssignmentFactory(round=judging_round, entry=entry, judge=erin)
        Score.objects.create(round=judging_round, entry=entry, judge=erin, rubric=rubric, status=ScoreStatus.SUBMITTED)
    return judging_round


@pytest.fixture
def remind(alice, django_capture_on_commit_callbacks):
    def remind(round, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return panels.send_reminders(round=round, actor=alice, **kwargs)

    return remind


def test_only_laggards_are_reminded(laggard_round, remind, bob, bob_membership, settings):
    settings.SITE_URL = "https://zhuiguang.example"
    assert remind(laggard_round) == 1
    (message,) = mail.outbox
    assert message.to == [bob.email]
    assert "3 / 5" in message.subject and "3 / 5" in message.body
    # The deadline in the competition's time zone (Asia/Shanghai), not UTC.
    assert CLOSES_IN_SHANGHAI.endswith("00:00")
    assert CLOSES_IN_SHANGHAI in message.body and "Asia/Shanghai" in message.body
    assert f"https://zhuiguang.example/judging/r/{laggard_round.pk}/" in message.body
    html = message.alternatives[0][0]
    assert f'href="https://zhuiguang.example/judging/r/{laggard_round.pk}/"' in html and "3 / 5" in html
    # Both languages: the round's Chinese name first, then its English one.
    assert message.body.index(laggard_round.name_zh) < message.body.index(laggard_round.name_en)
    bob_membership.refresh_from_db()
    assert bob_membership.last_reminded_at is not None
    log = ActionLog.objects.get(action=LoggedAction.REMINDERS_SENT)
    assert log.data["count"] == 1


def test_reminders_are_throttled_for_12_hours(laggard_round, remind):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert remind(laggard_round) == 1
    with time_machine.travel(start + timedelta(hours=11, minutes=59), tick=False):
        assert remind(laggard_round) == 0
    assert len(mail.outbox) == 1
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert remind(laggard_round) == 1
    assert len(mail.outbox) == 2
    assert ActionLog.objects.filter(action=LoggedAction.REMINDERS_SENT).count() == 2


def test_only_the_given_judges_are_reminded(laggard_round, remind, bob_membership, unit, judging_round):
    frank = UserFactory(email="frank@example.com")
    frank_membership = PanelMembershipFactory(round=judging_round, judge=frank)
    AssignmentFactory(round=judging_round, entry=submitted_entry(unit, 20), judge=frank)
    erin_membership = PanelMembership.objects.get(round=judging_round, judge__email="erin@example.com")
    # erin has nothing left, so naming her sends nothing to her.
    assert remind(laggard_round, membership_ids=[frank_membership.pk, erin_membership.pk]) == 1
    assert [message.to for message in mail.outbox] == [["frank@example.com"]]
    bob_membership.refresh_from_db()
    assert bob_membership.last_reminded_at is None


def test_dropped_judges_and_judges_of_other_rounds_are_not_reminded(laggard_round, remind, bob_membership, alice):
    panels.drop_judge(membership=bob_membership, actor=alice)
    assert remind(laggard_round) == 0
    assert mail.outbox == []
    assert not ActionLog.objects.filter(action=LoggedAction.REMINDERS_SENT).exists()


def test_no_reminders_after_the_round_closed(laggard_round, remind):
    with time_machine.travel(CLOSES + timedelta(minutes=1)), pytest.raises(ValidationError):
        remind(laggard_round)
    assert mail.outbox == []


def test_the_task_skips_a_judge_who_finished_meanwhile(laggard_round, bob_membership, bob):
    rubric = laggard_round.rubrics.first()
    for assignment in laggard_round.assignments.filter(judge=bob).exclude(entry__scores__judge=bob):
        Score.objects.create(
            round=laggard_round, entry=assignment.entry, judge=bob, rubric=rubric, status=ScoreStatus.SUBMITTED
        )
    assert tasks.send_reminder(bob_membership.pk) == "skipped"
    assert tasks.send_reminder(999999) == "skipped"
    assert mail.outbox == []
