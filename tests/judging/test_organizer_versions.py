"""The organizer's result versions: prepare (refused with the unscored list), the frozen snapshot on the version
page, scheduling in the competition's time zone, publishing now, revising, finalising, and the result emails."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging import advancement, versions
from judging.models import (
    NotificationKind,
    NotificationStatus,
    Objection,
    ResultNotification,
    ResultVersion,
    Score,
    VersionStatus,
)
from portal.models import ActionLog, LoggedAction
from tests.factories import AssignmentFactory, CompetitionFactory, UnitFactory
from tests.judging.test_organizer_ranking import (  # noqa: F401 - _restore_language is an autouse fixture
    _restore_language,
    closed_round,
    english_client,
    judges_of,
    ladder,
    next_round_of,
    round_url,
)


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def decided(competition, unit, alice):
    """Round 1 closed with three entries scored by two judges (100, 95, 90), the top one advanced."""
    round = closed_round(competition)
    next_round_of(round)
    judges = judges_of(round, 2)
    entries = ladder(round, unit, 3, judges)
    for entry in entries:
        for judge in judges:
            AssignmentFactory(round=round, entry=entry, judge=judge)
    advancement.advance(round=round, actor=alice, top_k_per_unit=1)
    return {"round": round, "entries": entries, "judges": judges}


@pytest.fixture
def draft(decided, alice):
    return versions.prepare_version(round=decided["round"], actor=alice)


def version_url(name, version):
    return round_url(name, version.round, version.pk)


def published(version, alice, notice_days=5):
    version = versions.schedule_publication(
        version=version,
        publish_at=timezone.now(),
        notice_ends_at=timezone.now() + timedelta(days=notice_days),
        actor=alice,
    )
    return versions.publish_version(version=version, actor=alice)


def end_notice(version):
    past = timezone.now() - timedelta(days=8)
    ResultVersion.objects.filter(pk=version.pk).update(
        publish_at=past, published_at=past, notice_ends_at=timezone.now() - timedelta(hours=1)
    )
    version.refresh_from_db()
    return version


def action_requests(version):
    future = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    later = (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    return [
        ("get", round_url("versions", version.round), None),
        ("post", round_url("versions", version.round), {"reason": "again"}),
        ("get", version_url("version_detail", version), None),
        ("post", version_url("version_schedule", version), {"publish_at": future, "notice_ends_at": later}),
        ("post", version_url("version_publish", version), {"notice_ends_at": later}),
        ("post", version_url("version_revise", version), {"reason": "forged"}),
        ("post", version_url("version_finalise", version), {}),
        ("post", version_url("notifications_retry", version), {}),
    ]


def send(client, method, target, data):
    return client.post(target, data) if method == "post" else client.get(target)


# --- Access ------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(draft):
    client = english_client()
    for method, target, data in action_requests(draft):
        response = send(client, method, target, data)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("account_login"))
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and ResultVersion.objects.count() == 1


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_a_draft_is_404_to_entrants_judges_and_other_organizers(request, draft, who):
    client = english_client(request.getfixturevalue(who))
    for method, target, data in action_requests(draft):
        response = send(client, method, target, data)
        assert response.status_code == 404, (who, target)
        assert draft.round.name.encode() not in response.content or b"LCP2026-0001" not in response.content
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.publish_at is None
    assert ResultVersion.objects.count() == 1


def test_forged_version_ids_from_another_competition_are_404(client, draft, alice):
    other_round = closed_round(CompetitionFactory(slug="elsewhere"))
    UnitFactory(competition=other_round.competition)
    foreign = ResultVersion.objects.create(
        round=other_round, number=1, method="mean", snapshot_sha256="0" * 64, status=VersionStatus.DRAFT
    )
    round = draft.round
    for name in (
        "version_detail",
        "version_schedule",
        "version_publish",
        "version_revise",
        "version_finalise",
        "notifications_retry",
    ):
        target = round_url(name, round, foreign.pk)
        response = client.get(target) if name == "version_detail" else client.post(target, {"reason": "x"})
        assert response.status_code == 404, name
    foreign.refresh_from_db()
    assert foreign.status == VersionStatus.DRAFT


def test_actions_are_post_only(client, draft):
    for name in ("version_schedule", "version_publish", "version_revise", "version_finalise", "notifications_retry"):
        assert client.get(version_url(name, draft)).status_code == 405


# --- Preparing ---------------------------------------------------------------------------------------------------


def test_prepare_is_refused_with_the_unscored_assignments_listed(client, decided):
    round, entry, judge = decided["round"], decided["entries"][1], decided["judges"][0]
    Score.objects.filter(round=round, entry=entry, judge=judge).update(status="draft")
    response = client.post(round_url("versions", round), {"reason": "typed reason"})
    assert response.status_code == 200
    html = response.content.decode()
    errors = html.split('class="message message-error prepare-errors"', 1)[1].split("</div>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", errors)
    assert "1 assigned entry has no submitted score yet" in items[0]
    assert f"{entry.number} — {judge.display_name}" in items[1:]
    assert 'value="typed reason"' in html
    assert not ResultVersion.objects.exists()


def test_prepare_from_an_open_round_is_refused(client, judging_round):
    response = client.post(round_url("versions", judging_round), {})
    assert "still open" in response.content.decode()
    assert not ResultVersion.objects.exists()


def test_prepare_makes_a_draft_and_the_page_shows_the_frozen_snapshot(client, decided):
    round = decided["round"]
    response = client.post(round_url("versions", round), {"reason": ""})
    version = ResultVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == version_url("version_detail", version)
    assert version.status == VersionStatus.DRAFT
    assert ActionLog.objects.filter(action=LoggedAction.RESULT_PREPARED).exists()
    # Scores change afterwards: the version page shows what was frozen, not a recomputation.
    Score.objects.filter(round=round, entry=decided["entries"][0]).update(total=1)
    html = client.get(response["Location"]).content.decode()
    ranking = html.split('class="judging-table version-ranking"', 1)[1].split("</table>", 1)[0]
    first = ranking.split(f'data-entry="{decided["entries"][0].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "100.000" in first and "outcome-advanced" in first
    assert "Not yet: only organizers can see this version." in html
    assert re.search(r'href="[^"]+/results/"\s+aria-current="page">Results<', html)


def test_versions_list_shows_counts(client, draft, alice, charlie):
    version = published(draft, alice)
    entry = version.round.round_entries.first().entry
    Objection.objects.create(version=version, entry=entry, author=charlie, text="one")
    Objection.objects.create(version=version, entry=entry, author=charlie, text="two", status="rejected", answer="no")
    ResultNotification.objects.filter(version=version).delete()
    ResultNotification.objects.create(
        version=version, entry=entry, recipient="a@example.com", kind=NotificationKind.ADVANCED, status="sent"
    )
    ResultNotification.objects.create(
        version=version, entry=entry, recipient="b@example.com", kind=NotificationKind.ADVANCED, status="failed"
    )
    html = client.get(round_url("versions", version.round)).content.decode()
    row = html.split(f'<tr data-version="{version.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Published (public notice)" in row and "Mean" in row
    assert "1 / 2" in row  # objections open / all
    assert "1 / 1" in row  # emails sent / failed


def test_versions_list_query_count_is_flat(client, decided, alice):
    round = decided["round"]

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(round_url("versions", round)).status_code == 200
        return len(queries)

    ResultVersion.objects.create(round=round, number=1, method="mean", snapshot_sha256="0" * 64, status="superseded")
    few = count()
    for number in range(2, 8):
        ResultVersion.objects.create(
            round=round, number=number, method="mean", snapshot_sha256="0" * 64, status="superseded"
        )
    assert count() == few


# --- Scheduling and publishing ---------------------------------------------------------------------------------------


def test_schedule_reads_times_in_the_competitions_time_zone(client, draft):
    response = client.post(
        version_url("version_schedule", draft),
        {"publish_at": "2031-03-01T10:00", "notice_ends_at": "2031-03-08T18:00"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.SCHEDULED
    # Asia/Shanghai is UTC+8.
    assert draft.publish_at == datetime(2031, 3, 1, 2, 0, tzinfo=UTC)
    assert draft.notice_ends_at == datetime(2031, 3, 8, 10, 0, tzinfo=UTC)
    html = client.get(response["Location"]).content.decode()
    assert "2031-03-01 10:00" in html
    assert 'value="2031-03-01T10:00"' in html  # the reschedule form shows local times


def test_schedule_errors_keep_what_was_typed(client, draft):
    response = client.post(
        version_url("version_schedule", draft),
        {"publish_at": "2031-03-08T10:00", "notice_ends_at": "2031-03-01T10:00"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The public notice must end after publication." in html
    assert 'value="2031-03-08T10:00"' in html and 'value="2031-03-01T10:00"' in html
    response = client.post(
        version_url("version_schedule", draft), {"publish_at": "2020-01-01T10:00", "notice_ends_at": "2020-01-09T10:00"}
    )
    assert "already passed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.publish_at is None


def test_publish_now_publishes_and_emails_entrants(client, draft, django_capture_on_commit_callbacks):
    ends = (timezone.localtime(timezone.now(), draft.round.competition.tzinfo) + timedelta(days=6)).replace(
        second=0, microsecond=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            version_url("version_publish", draft), {"notice_ends_at": ends.strftime("%Y-%m-%dT%H:%M")}
        )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and draft.published_at is not None
    assert draft.notice_ends_at == ends
    assert ActionLog.objects.filter(action=LoggedAction.RESULT_PUBLISHED).exists()
    notifications = ResultNotification.objects.filter(version=draft)
    assert notifications.count() == 3
    assert set(notifications.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert len(mail.outbox) == 3
    html = client.get(response["Location"]).content.decode()
    assert "In public notice" in html
    summary = html.split('class="judging-summary notification-summary"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r'notification-sent"><span class="figure">3<', summary)
    assert reverse("judging:public_version", args=[draft.round.competition.slug, draft.pk]) in html


def test_publish_now_needs_a_future_notice_end(client, draft):
    response = client.post(version_url("version_publish", draft), {"notice_ends_at": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(version_url("version_publish", draft), {"notice_ends_at": "2020-01-01T10:00"})
    html = response.content.decode()
    assert "The public notice must end in the future." in html and 'value="2020-01-01T10:00"' in html
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.published_at is None


# --- Revising and finalising -----------------------------------------------------------------------------------------


def test_revise_needs_a_reason_and_makes_a_new_draft(client, draft, alice):
    version = published(draft, alice)
    response = client.post(version_url("version_revise", version), {"reason": ""})
    assert response.status_code == 200
    assert "Say why the result changes" in response.content.decode()
    assert ResultVersion.objects.count() == 1
    response = client.post(version_url("version_revise", version), {"reason": "<b>Objection upheld</b>"})
    revision = ResultVersion.objects.get(number=2)
    assert response.status_code == 302 and response["Location"] == version_url("version_detail", revision)
    assert revision.status == VersionStatus.DRAFT and revision.reason == "<b>Objection upheld</b>"
    version.refresh_from_db()
    assert version.status == VersionStatus.SUPERSEDED and version.published_at is not None
    html = client.get(response["Location"]).content.decode()
    assert "&lt;b&gt;Objection upheld&lt;/b&gt;" in html and "<b>Objection upheld</b>" not in html


def test_finalise_is_refused_during_the_notice(client, draft, alice):
    version = published(draft, alice)
    html = client.get(version_url("version_detail", version)).content.decode()
    assert re.search(r'<button type="submit" disabled aria-disabled="true">Finalise the result</button>', html)
    response = client.post(version_url("version_finalise", version), follow=True)
    assert "finalise after it ends" in response.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.finalised_at is None


def test_finalise_after_the_notice(client, draft, alice):
    version = end_notice(published(draft, alice))
    html = client.get(version_url("version_detail", version)).content.decode()
    assert re.search(r'<button type="submit">Finalise the result</button>', html)
    response = client.post(version_url("version_finalise", version), follow=True)
    assert "Version 1 is final." in response.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.FINAL and version.finalised_by == alice
    assert ActionLog.objects.filter(action=LoggedAction.RESULT_FINALISED).exists()


# --- Result emails -------------------------------------------------------------------------------------------------


def test_failed_emails_are_listed_and_retried(client, draft, alice, django_capture_on_commit_callbacks):
    version = published(draft, alice)  # on-commit callbacks not run: nothing was sent
    entry = version.round.round_entries.first().entry
    failed = ResultNotification.objects.create(
        version=version,
        entry=entry,
        recipient="gone@example.com",
        kind=NotificationKind.NOT_ADVANCED,
        status=NotificationStatus.GAVE_UP,
        attempts=5,
        last_error="SMTPRecipientsRefused: <b>550</b>",
    )
    html = client.get(version_url("version_detail", version)).content.decode()
    table = html.split('class="judging-table failed-notifications"', 1)[1].split("</table>", 1)[0]
    assert "gone@example.com" in table and ">5<" in table
    assert "SMTPRecipientsRefused: &lt;b&gt;550&lt;/b&gt;" in table
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(version_url("notifications_retry", version))
    assert response.status_code == 302 and response["Location"].endswith("#notifications")
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT
    assert [message.to for message in mail.outbox] == [["gone@example.com"]]
    assert ActionLog.objects.filter(action=LoggedAction.NOTIFICATIONS_RETRIED).exists()
    response = client.post(version_url("notifications_retry", version), follow=True)
    assert "No email had failed" in response.content.decode()
