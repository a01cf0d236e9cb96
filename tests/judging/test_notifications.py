"""Result emails: one per entry and recipient with the right kind, bilingual, with the feedback dossier when the
round shares it; failed sends retried, given up after NOTIFICATION_MAX_ATTEMPTS and visible; bulk queries."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from judging import advancement, notifications, tasks, versions
from judging.models import (
    AwardCategory,
    Nomination,
    NotificationKind,
    NotificationStatus,
    ResultNotification,
    ResultVersion,
    VersionStatus,
)
from portal.models import ActionLog, LoggedAction
from submissions.models import CoOwner
from tests.factories import EntryFactory, RoundFactory, UserFactory
from tests.judging.results_support import scored_competition

pytestmark = pytest.mark.django_db

FAILING = "broken@example.com"


class FlakyBackend(EmailBackend):
    """The locmem backend, except that mail to an address in `failing` is refused by the "server"."""

    failing = set()

    def send_messages(self, messages):
        for message in messages:
            refused = set(message.to) & self.failing
            if refused:
                raise smtplib.SMTPRecipientsRefused(dict.fromkeys(refused, (550, b"mailbox unavailable")))
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failing = {FAILING}
    yield FlakyBackend
    FlakyBackend.failing = set()


@pytest.fixture
def setup(competition, unit, alice):
    """Round 1 decided (top 2 per unit); a1 won an award, a2 and a3 are nominated; co-owners on a1 and a2."""
    data = scored_competition(competition, unit)
    first = data["first"]
    first.share_feedback = True
    first.save()
    a1, a2, a3, b1, b2, b3 = data["entries"]
    advancement.advance(round=first, actor=alice, top_k_per_unit=2)
    category = AwardCategory.objects.create(
        competition=competition, slug="best-work", name_zh="年度最佳作品", name_en="Best Work", position=1
    )
    Nomination.objects.create(
        category=category, round=first, entry=a1, is_winner=True, citation_zh="光影动人", citation_en="Moving light"
    )
    Nomination.objects.create(category=category, round=first, entry=a2)
    Nomination.objects.create(category=category, round=first, entry=a3)
    coowner = UserFactory(email="co@example.com", display_name="Co Owner")
    CoOwner.objects.create(entry=a1, email=coowner.email, user=coowner)
    CoOwner.objects.create(entry=a2, email="no-account@example.com")  # no account yet: not emailed
    version = versions.prepare_version(round=first, actor=alice)
    version.notice_ends_at = timezone.now() + timedelta(days=7)
    version.save(update_fields=["notice_ends_at"])
    data["version"] = version
    return data


def publish(version, alice, capture):
    with capture(execute=True):
        return versions.publish_version(version=version, actor=alice)


def test_kinds_recipients_and_bilingual_emails(setup, alice, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://zhuiguang.example"
    a1, a2, a3, b1, b2, b3 = setup["entries"]
    version = publish(setup["version"], alice, django_capture_on_commit_callbacks)

    rows = {(n.entry_id, n.recipient): n for n in ResultNotification.objects.filter(version=version)}
    assert {(entry_id, recipient): n.kind for (entry_id, recipient), n in rows.items()} == {
        (a1.pk, a1.owner.email): NotificationKind.AWARDED,
        (a1.pk, "co@example.com"): NotificationKind.AWARDED,
        (a2.pk, a2.owner.email): NotificationKind.NOMINATED,  # nominated beats advanced
        (a3.pk, a3.owner.email): NotificationKind.NOMINATED,  # nominated, though not advanced
        (b1.pk, b1.owner.email): NotificationKind.ADVANCED,
        (b2.pk, b2.owner.email): NotificationKind.ADVANCED,
        (b3.pk, b3.owner.email): NotificationKind.NOT_ADVANCED,
    }
    assert all(n.status == NotificationStatus.SENT and n.attempts == 1 and n.sent_at for n in rows.values())
    assert len(mail.outbox) == 7

    by_to = {message.to[0]: message for message in mail.outbox}
    competition, round = version.round.competition, version.round
    awarded = by_to[a1.owner.email]
    assert a1.number in awarded.subject
    assert awarded.body.index(competition.name_zh) < awarded.body.index(competition.name_en)
    assert awarded.body.index(round.name_zh) < awarded.body.index(round.name_en)
    assert "年度最佳作品" in awarded.body and "Best Work" in awarded.body
    assert "光影动人" in awarded.body and "Moving light" in awarded.body
    assert f"https://zhuiguang.example/c/{competition.slug}/results/" in awarded.body
    assert (
        f'href="https://zhuiguang.example/c/{competition.slug}/results/v/{version.pk}/"' in awarded.alternatives[0][0]
    )
    assert "复评" in by_to[b1.owner.email].body and "goes on to Semi-final" in by_to[b1.owner.email].body
    assert "does not go on to the next round" in by_to[b3.owner.email].body
    assert "nominees" in by_to[a3.owner.email].body

    # The dossier: per-criterion averages and the judges' comments, never who wrote them.
    body = by_to[b3.owner.email].body
    assert "故事: 4.00" in body and "Story: 4.00" in body and "Craft: 4.00 / 10" in body
    assert f"overall {b3.number} seat 1" in body and f"craft note {b3.number} seat 2" in body
    for judge in setup["judges"]:
        assert judge.email not in body and judge.display_name not in body
    assert f"overall {a1.number}" not in body  # only the entry's own feedback

    # Publishing is idempotent and so is queueing: nobody gets a second email.
    versions.publish_version(version=version, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.queue_notifications(version) == 0
    assert len(mail.outbox) == 7


def test_no_dossier_unless_the_round_shares_feedback(setup, alice, django_capture_on_commit_callbacks):
    round = setup["first"]
    round.share_feedback = False
    round.save()
    b3 = setup["entries"][5]
    version = publish(setup["version"], alice, django_capture_on_commit_callbacks)
    body = next(message.body for message in mail.outbox if message.to == [b3.owner.email])
    assert "Feedback from the jury" not in body and "craft note" not in body
    version = ResultVersion.objects.get(pk=version.pk)
    assert notifications.feedback_dossier(version=version, entry=b3) == {"criteria": [], "comments": []}


def test_feedback_dossier(setup):
    version, a1 = setup["version"], setup["entries"][0]
    dossier = notifications.feedback_dossier(version=version, entry=a1)
    assert [(item["name"].zh, item["name"].en, str(item["average"])) for item in dossier["criteria"]] == [
        ("故事", "Story", "9.00"),
        ("制作", "Craft", "9.00"),
    ]
    assert sorted(dossier["comments"]) == sorted(
        [
            f"overall {a1.number} seat 1",
            f"overall {a1.number} seat 2",
            f"craft note {a1.number} seat 1",
            f"craft note {a1.number} seat 2",
        ]
    )
    # Shuffled by a hash of the score id, the same every time.
    assert notifications.feedback_dossier(version=version, entry=a1) == dossier
    score_ids = sorted(
        (row["score"] for row in version.snapshot["scores"] if row["entry"] == a1.pk), key=notifications._score_order
    )
    first_seat = 1 if score_ids[0] == min(score_ids) else 2
    assert dossier["comments"][0] == f"overall {a1.number} seat {first_seat}"


def test_failed_send_is_retried_then_sent(setup, alice, flaky, django_capture_on_commit_callbacks):
    b3 = setup["entries"][5]
    b3.owner.email = FAILING
    b3.owner.save()
    with mock.patch.object(tasks.send_result_notifications, "delay") as delay:
        version = publish(setup["version"], alice, django_capture_on_commit_callbacks)
    (ids,) = delay.call_args.args
    assert len(ids) == 7

    with pytest.raises(notifications.NotificationsFailed):
        notifications.deliver_notifications(ids)
    broken = ResultNotification.objects.get(version=version, recipient=FAILING)
    assert broken.status == NotificationStatus.FAILED and broken.attempts == 1
    assert "SMTPRecipientsRefused" in broken.last_error and len(broken.last_error) <= 300
    assert len(mail.outbox) == 6

    # The server recovers: the retried batch sends only the failed one.
    FlakyBackend.failing = set()
    notifications.deliver_notifications(ids)
    broken.refresh_from_db()
    assert broken.status == NotificationStatus.SENT and broken.attempts == 2 and broken.last_error == ""
    assert len(mail.outbox) == 7 and mail.outbox[-1].to == [FAILING]
    assert ResultNotification.objects.filter(version=version, status=NotificationStatus.SENT).count() == 7


@pytest.fixture
def eager_retries():
    """Eager tasks normally propagate errors (tests/conftest.py); a retry then surfaces as celery's Retry. Without
    propagation Celery runs each retry of an eager task at once, as a worker would after the countdown."""
    from portal.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_task_retries_and_gives_up_visibly(setup, alice, flaky, eager_retries, django_capture_on_commit_callbacks):
    b3 = setup["entries"][5]
    b3.owner.email = FAILING
    b3.owner.save()
    version = publish(setup["version"], alice, django_capture_on_commit_callbacks)
    broken = ResultNotification.objects.get(version=version, recipient=FAILING)
    assert broken.status == NotificationStatus.GAVE_UP
    assert broken.attempts == notifications.NOTIFICATION_MAX_ATTEMPTS and broken.last_error
    assert len(mail.outbox) == 6  # the others were sent once, never again on the retries
    assert set(ResultNotification.objects.filter(version=version).values_list("status", flat=True)) == {
        NotificationStatus.SENT,
        NotificationStatus.GAVE_UP,
    }

    # An organizer sends again after fixing the address: attempts start over and it goes out.
    FlakyBackend.failing = set()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.retry_failed_notifications(version=version, actor=alice) == 1
    broken.refresh_from_db()
    assert broken.status == NotificationStatus.SENT and broken.attempts == 1
    assert len(mail.outbox) == 7
    assert ActionLog.objects.filter(action=LoggedAction.NOTIFICATIONS_RETRIED, data__gave_up=1).exists()


def test_batches(setup, alice, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(notifications, "NOTIFICATION_BATCH", 3)
    with mock.patch.object(tasks.send_result_notifications, "delay") as delay:
        publish(setup["version"], alice, django_capture_on_commit_callbacks)
    assert [len(call.args[0]) for call in delay.call_args_list] == [3, 3, 1]


def version_with(competition, unit, count):
    round = RoundFactory(competition=competition, position=10 + count)
    entries = [EntryFactory(unit=unit, number=f"Q-{count}-{n}") for n in range(count)]
    for entry in entries:
        CoOwner.objects.create(entry=entry, email=f"co{entry.pk}@example.com", user=UserFactory())
    return ResultVersion.objects.create(
        round=round,
        number=1,
        status=VersionStatus.PUBLISHED,
        method="mean",
        snapshot_sha256="0" * 64,
        published_at=timezone.now(),
        notice_ends_at=timezone.now() + timedelta(days=7),
        decisions=[{"entry": entry.pk, "number": entry.number, "outcome": "advanced"} for entry in entries],
    )


def test_queue_notifications_queries_stay_flat(competition, unit):
    counts = []
    for count in (5, 30):
        version = version_with(competition, unit, count)
        with mock.patch.object(tasks.send_result_notifications, "delay"), CaptureQueriesContext(connection) as queries:
            assert notifications.queue_notifications(version) == count * 2
        counts.append(len(queries))
    assert counts[0] == counts[1]
