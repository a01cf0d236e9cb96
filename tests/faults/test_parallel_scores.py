"""Two judges each submit the same score form twice at the same moment (a double click, two tabs), through a
real gunicorn with four worker processes: one score row and one ledger row per judge, and the chain verifies.

The second copy of each form was opened before any score existed (version 0), so whichever request comes second
is told the score changed in another window and saves nothing; neither judge's requests disturb the other's.
"""

import threading
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from judging import ledger
from judging.models import Criterion, LedgerEntry, LedgerKind, RoundEntry, Score, ScoreStatus
from tests.factories import (
    AssignmentFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UserFactory,
    eligible_entry,
)
from tests.submissions.tus_support import signed_in_headers

pytestmark = pytest.mark.django_db(transaction=True)

STALE = "This score was changed in another window"


def test_two_judges_double_submitting_at_once_leave_one_score_and_one_ledger_row_each(
    web_server_factory, competition, unit
):
    round = RoundFactory(competition=competition, position=1)
    # Frozen already (as after an earlier judge's first score): otherwise freezing it locks the rubric row and
    # the four requests queue one behind another, and the race on creating the score rows never happens.
    RubricFactory(round=round, frozen_at=timezone.now())
    entry = eligible_entry(unit)
    RoundEntry.objects.create(round=round, entry=entry)
    judges = [UserFactory(display_name="Judge One"), UserFactory(display_name="Judge Two")]
    for judge in judges:
        PanelMembershipFactory(round=round, judge=judge)
        AssignmentFactory(round=round, entry=entry, judge=judge)
    criteria = {c.key: c for c in Criterion.objects.filter(rubric__round=round)}
    url = reverse("judging:entry", args=[round.pk, entry.pk])
    server = web_server_factory(workers=4)

    def form(story):
        return urlencode({
            f"c{criteria['story'].pk}_value": story, f"c{criteria['story'].pk}_comment": "",
            f"c{criteria['craft'].pk}_value": "8", f"c{criteria['craft'].pk}_comment": "Steady camera",
            "comment": "Submitted twice", "version": "0", "action": "submit",
        })

    requests = []  # (judge, headers, body): two identical submissions per judge
    for judge, story in zip(judges, ["7", "9"], strict=True):
        headers = {
            **signed_in_headers(judge), "Content-Type": "application/x-www-form-urlencoded",
        }
        requests += [(judge, headers, form(story))] * 2
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def send(index):
        judge, headers, body = requests[index]
        barrier.wait(timeout=30)
        try:
            results[index] = (judge, server.request("POST", url, headers=headers, body=body))
        except Exception as error:  # noqa: BLE001 - reported below
            results[index] = (judge, error)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for judge in judges:
        answers = [response for who, response in results if who == judge]
        assert all(not isinstance(answer, Exception) for answer in answers), answers
        assert sorted(answer.status for answer in answers) == [200, 302], [a.text[-1500:] for a in answers]
        refused = next(answer for answer in answers if answer.status == 200)
        assert STALE in refused.text  # told plainly, with what was typed still on the page
        assert "Steady camera" in refused.text
        redirect = next(answer for answer in answers if answer.status == 302)
        assert redirect.headers["location"] == url

    scores = {score.judge_id: score for score in Score.objects.filter(round=round, entry=entry)}
    assert set(scores) == {judge.pk for judge in judges}  # one row each (the constraint would refuse a second)
    assert [scores[judge.pk].status for judge in judges] == [ScoreStatus.SUBMITTED] * 2
    assert [scores[judge.pk].version for judge in judges] == [1, 1]
    assert [scores[judge.pk].values.get(criterion__key="story").value for judge in judges] == [7, 9]
    rows = LedgerEntry.objects.filter(competition=competition).order_by("sequence")
    assert sorted((row.actor_id, row.kind) for row in rows) == sorted(
        (judge.pk, LedgerKind.SCORE_SUBMITTED) for judge in judges
    )
    assert ledger.verify(competition=competition) is None
