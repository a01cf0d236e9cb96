"""The organizer's progress page of a round: per-judge counts, least progress first, reminders by email."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging.models import PanelMembership, RoundEntry, Score, ScoreStatus
from portal.models import ActionLog, LoggedAction
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    PanelMembershipFactory,
    RoundFactory,
    UserFactory,
    eligible_entry,
)


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name, round):
    return reverse(f"judging:{name}", args=[round.competition.slug, round.pk])


@pytest.fixture
def client(alice):
    return english_client(alice)


def give(round, judge, entries, submitted=0, drafts=0):
    """Assign `entries` to `judge`; the first `submitted` are scored, the next `drafts` have a draft."""
    rubric = round.rubrics.get()
    for index, entry in enumerate(entries):
        RoundEntry.objects.get_or_create(round=round, entry=entry)
        AssignmentFactory(round=round, entry=entry, judge=judge)
        if index < submitted + drafts:
            status = ScoreStatus.SUBMITTED if index < submitted else ScoreStatus.DRAFT
            Score.objects.create(round=round, entry=entry, judge=judge, rubric=rubric, status=status)


@pytest.fixture
def entries(unit):
    return [eligible_entry(unit) for _ in range(4)]


@pytest.fixture
def progress_panel(judging_round, bob_membership, erin, entries):
    """bob: 4 assigned, 3 submitted, 1 draft. erin: 4 assigned, 1 submitted. frank: 2 assigned, 2 submitted."""
    give(judging_round, bob_membership.judge, entries, submitted=3, drafts=1)
    give(judging_round, erin, entries, submitted=1)
    frank = PanelMembershipFactory(
        round=judging_round, judge=UserFactory(email="frank@example.com", display_name="Frank")
    )
    give(judging_round, frank.judge, entries[:2], submitted=2)
    return judging_round


def remind_requests(round, membership):
    return [
        ("get", url("progress", round), None),
        ("post", url("remind", round), {}),
        ("post", url("remind", round), {"membership_ids": [membership.pk]}),
    ]


def send(client, method, target, data):
    return client.post(target, data) if method == "post" else client.get(target)


# --- Access -----------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(progress_panel, bob_membership):
    client = english_client()
    for method, target, data in remind_requests(progress_panel, bob_membership):
        response = send(client, method, target, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not mail.outbox


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(
    request, progress_panel, bob_membership, who, django_capture_on_commit_callbacks
):
    client = english_client(request.getfixturevalue(who))
    with django_capture_on_commit_callbacks(execute=True):
        for method, target, data in remind_requests(progress_panel, bob_membership):
            response = send(client, method, target, data)
            assert response.status_code == 404, (who, target)
            assert b"erin@example.com" not in response.content
    assert not mail.outbox
    assert not PanelMembership.objects.filter(last_reminded_at__isnull=False).exists()


def test_a_round_of_another_competition_is_404_under_the_organizers_slug(client, competition):
    foreign = RoundFactory(competition=CompetitionFactory(slug="elsewhere"))
    assert client.get(reverse("judging:progress", args=[competition.slug, foreign.pk])).status_code == 404
    assert client.post(reverse("judging:remind", args=[competition.slug, foreign.pk])).status_code == 404


def test_remind_is_post_only(client, judging_round):
    assert client.get(url("remind", judging_round)).status_code == 405


# --- The page -----------------------------------------------------------------------------------------------------


def row_of(html, membership):
    row = html[html.index(f'data-membership="{membership.pk}"') :]
    return row[: row.index("</tr>")]


def test_each_judge_shows_counts_percentage_and_times(client, progress_panel, bob_membership, erin):
    bob_membership.last_active_at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    bob_membership.last_reminded_at = datetime(2026, 3, 2, 1, 5, tzinfo=UTC)
    bob_membership.save()
    response = client.get(url("progress", progress_panel))
    assert response.status_code == 200
    html = response.content.decode()
    bob_row = row_of(html, bob_membership)
    # assigned, submitted, drafts
    assert re.findall(r'<td class="num">(\d+)</td>', bob_row) == ["4", "3", "1"]
    assert 'value="75"' in bob_row and "75%" in bob_row
    assert "2026-03-02 00:30" in bob_row  # last active, Asia/Shanghai
    assert "2026-03-02 09:05" in bob_row  # last reminded
    erin_row = row_of(html, PanelMembership.objects.get(judge=erin))
    assert 'value="25"' in erin_row and "never" in erin_row
    assert "6 / 10" in html  # submitted / assigned over the panel
    assert 'href="' + url("progress", progress_panel) + '" aria-current="page"' in html


def test_least_progress_comes_first(client, progress_panel, bob_membership, erin):
    idle = PanelMembershipFactory(round=progress_panel, judge=UserFactory(email="idle@example.com")).judge
    html = client.get(url("progress", progress_panel)).content.decode()
    order = ["erin@example.com", "bob@example.com", "frank@example.com", idle.email]
    assert [html.index(email) for email in order] == sorted(html.index(email) for email in order)


def test_a_judge_who_left_is_listed_last_without_a_reminder_button(client, progress_panel, erin):
    membership = PanelMembership.objects.get(judge=erin)
    membership.active = False
    membership.save()
    html = client.get(url("progress", progress_panel)).content.decode()
    assert html.index("frank@example.com") < html.index("erin@example.com")
    assert f'name="membership_ids" value="{membership.pk}"' not in html
    assert "Left the panel" in row_of(html, membership)


def test_a_finished_judge_has_no_reminder_button(client, progress_panel, bob_membership):
    html = client.get(url("progress", progress_panel)).content.decode()
    frank = PanelMembership.objects.get(judge__email="frank@example.com")
    assert f'name="membership_ids" value="{frank.pk}"' not in html
    assert f'name="membership_ids" value="{bob_membership.pk}"' in html
    assert "Send reminders to judges who are behind" in html


def test_query_count_is_flat_as_judges_grow(client, judging_round, entries):
    def add(count):
        for _ in range(count):
            judge = PanelMembershipFactory(round=judging_round, last_active_at=timezone.now()).judge
            give(judging_round, judge, entries[:2], submitted=1, drafts=1)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("progress", judging_round))
        assert response.status_code == 200
        return len(queries)

    add(1)
    one = count()
    add(9)
    assert count() == one


# --- Reminders ----------------------------------------------------------------------------------------------------


def test_reminding_everyone_behind(client, progress_panel, bob_membership, erin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("remind", progress_panel))
    assert response.status_code == 302 and response["Location"] == url("progress", progress_panel)
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "bob@example.com",
        "erin@example.com",
    ]
    bob_membership.refresh_from_db()
    assert bob_membership.last_reminded_at is not None
    assert ActionLog.objects.get(action=LoggedAction.REMINDERS_SENT).data["count"] == 2
    html = client.get(response["Location"]).content.decode()
    assert "Reminders are on their way to 2 judges." in html

    # Nobody is reminded twice within 12 hours.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("remind", progress_panel), follow=True)
    assert len(mail.outbox) == 2
    assert "No reminder was sent" in response.content.decode()


def test_reminding_one_judge(client, progress_panel, erin, django_capture_on_commit_callbacks):
    membership = PanelMembership.objects.get(judge=erin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("remind", progress_panel), {"membership_ids": [membership.pk]}, follow=True)
    assert [message.to for message in mail.outbox] == [["erin@example.com"]]
    assert "A reminder is on its way to 1 judge." in response.content.decode()


def test_a_forged_membership_is_refused_and_nobody_is_reminded(
    client, progress_panel, competition, django_capture_on_commit_callbacks
):
    other = PanelMembershipFactory(round=RoundFactory(competition=competition, position=2))
    for forged in ([other.pk], ["abc"], ["1 OR 1=1"]):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url("remind", progress_panel), {"membership_ids": forged}, follow=True)
        assert "no reminder was sent" in response.content.decode()
    assert not mail.outbox
    assert not PanelMembership.objects.filter(last_reminded_at__isnull=False).exists()


def test_no_reminders_after_the_round_closed(client, progress_panel, django_capture_on_commit_callbacks):
    progress_panel.opens_at = timezone.now() - timedelta(days=10)
    progress_panel.closes_at = timezone.now() - timedelta(days=1)
    progress_panel.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("remind", progress_panel), follow=True)
    assert "has closed" in response.content.decode()
    assert not mail.outbox
