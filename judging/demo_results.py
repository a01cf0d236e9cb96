"""Demo results for the demo competition (connected to portal.demo.demo_seeded after judging/demo.py).

The judging demo leaves the preliminary round (初评) open with a few scores. This finishes it and shows the whole
results cycle while keeping an open round for the demo judges:
1. every active assignment of round 1 gets a submitted score (through judging.scoring.save_score, while the window
   is still open), then round 1's window is moved into the past (it closes the moment seeding ends);
2. the top 2 entries per unit advance to the semi-final (复评), which becomes the open round: judge1..judge5 join
   its panel (same expertise as in round 1) and are assigned automatically (seed 1);
3. a result version of round 1 is prepared and published with a 7-day public notice, and entrant2 has lodged one
   objection, still open, so the organizer's answer-and-finalise flow can be tried.
The demo emails nobody: the result emails are recorded as sent (the demo addresses are not real), and the
objection's email to the organizers is dropped. Skipped when the competition already has a result version.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from judging import advancement, assignment, notifications, objections, panels, rubrics, scoring, versions
from judging.demo import ASSIGNMENT_SEED, CRITERION_COMMENTS, OVERALL_COMMENTS, SEED, _value
from judging.models import (
    Assignment,
    NotificationStatus,
    PanelMembership,
    ResultNotification,
    ResultVersion,
    Round,
    Score,
    ScoreStatus,
)
from portal.demo import DEMO_ENTRANTS
from portal.models import User
from submissions.models import Entry

TOP_PER_UNIT = 2
NOTICE = timedelta(days=7)
SECOND_ROUND_LENGTH = timedelta(days=14)
OBJECTION_TEXT = (
    "该作品第三集的部分镜头与我此前公开发表的短片高度相似，请评审委员会核查原创性。\n"
    "Some shots in episode 3 closely resemble a short film I published earlier; please check its originality."
)


def seed_demo_results(sender, *, competition, organizer=None, **kwargs):
    """demo_seeded receiver: finish round 1, advance, open round 2 and publish round 1's result, once."""
    if ResultVersion.objects.filter(round__competition=competition).exists():
        return None
    rounds = list(Round.objects.filter(competition=competition).order_by("position"))
    if len(rounds) < 2:
        return None
    first, second = rounds[0], rounds[1]
    if not first.round_entries.exists():
        return None
    rng = random.Random(SEED + 1)  # noqa: S311 - demo data, reproducible on purpose

    with transaction.atomic():
        _finish_scoring(first, rng)
        now = timezone.now()
        # Round 1 closes now; round 2 opened an hour ago and runs for two weeks.
        Round.objects.filter(pk=first.pk).update(opens_at=min(first.opens_at, now - timedelta(days=3)), closes_at=now)
        Round.objects.filter(pk=second.pk).update(
            opens_at=now - timedelta(hours=1), closes_at=(now + SECOND_ROUND_LENGTH).replace(second=0, microsecond=0)
        )
        first.refresh_from_db()
        second.refresh_from_db()

        advancement.advance(round=first, actor=organizer, top_k_per_unit=TOP_PER_UNIT)
        _seat_second_panel(first, second, organizer)
        assignment.auto_assign(round=second, actor=organizer, seed=ASSIGNMENT_SEED)

        version = versions.prepare_version(round=first, actor=organizer)
        version.notice_ends_at = (now + NOTICE).replace(second=0, microsecond=0)
        version.save(update_fields=["notice_ends_at"])
        version = versions.publish_version(version=version, actor=organizer, now=now)
        _record_notifications_as_sent(version, now)
        _lodge_objection(version)
    return version


def _finish_scoring(round, rng):
    """Submit a score for every active assignment that has none submitted yet (drafts are completed)."""
    submitted = set(Score.objects.filter(round=round, status=ScoreStatus.SUBMITTED).values_list("entry_id", "judge_id"))
    assignments = (
        Assignment.objects.active()
        .filter(round=round)
        .select_related("round__competition", "entry__track", "judge")
        .order_by("entry__sequence", "entry_id", "judge_id")
    )
    for item in assignments:
        if (item.entry_id, item.judge_id) in submitted:
            continue
        rubric = rubrics.current_rubric(round, item.entry.track)
        values = {
            criterion.pk: scoring.CriterionInput(
                value=_value(criterion, rng),
                comment=rng.choice(CRITERION_COMMENTS) if criterion.comment_required or rng.random() < 0.3 else "",
            )
            for criterion in rubric.criteria.all()
        }
        for video, _share in scoring.watch_shortfall(judge=item.judge, round=round, entry=item.entry):
            duration = scoring.video_duration(video)
            if duration:
                scoring.record_watch(judge=item.judge, video=video, start=0, end=duration)
        scoring.save_score(assignment=item, values=values, comment=rng.choice(OVERALL_COMMENTS), submit=True)


def _seat_second_panel(first, second, organizer):
    """The round-1 judges join the semi-final's panel with the expertise they had."""
    for membership in PanelMembership.objects.filter(round=first, active=True).select_related("judge").order_by("pk"):
        if PanelMembership.objects.filter(round=second, judge=membership.judge, active=True).exists():
            continue
        panels.add_judge(round=second, user=membership.judge, actor=organizer, expertise=membership.expertise.all())


def _record_notifications_as_sent(version, now):
    """The result emails' rows, marked sent: the demo emails nobody. (publish_version queues notifications after
    commit; they find every row already there and queue nothing.)"""
    ids = notifications.create_notifications(version)
    ResultNotification.objects.filter(pk__in=ids).update(status=NotificationStatus.SENT, attempts=1, sent_at=now)


def _lodge_objection(version):
    """entrant2 objects to the best-ranked entry of another entrant; the organizers' email is not sent."""
    author = User.objects.filter(email=DEMO_ENTRANTS[1]).first()
    if author is None or not version.ranking:
        return None
    ranked = [row["entry_id"] for row in version.ranking]
    owners = dict(Entry.objects.filter(pk__in=ranked).values_list("pk", "owner_id"))
    target = next((pk for pk in ranked if owners.get(pk) != author.pk), ranked[0])
    return objections.lodge_objection(
        version=version, entry=Entry.objects.get(pk=target), author=author, text=OBJECTION_TEXT, notify=False
    )
