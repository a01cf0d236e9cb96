"""Objections on the organizer's version page: listed with their evidence, answered (upheld / rejected with a
reason, emailed to the author), refusals with what was typed, forged ids, and finalising once all are answered."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging import advancement, versions
from judging.models import (
    NotificationKind,
    NotificationStatus,
    Objection,
    ObjectionStatus,
    ResultNotification,
    ResultVersion,
    VersionStatus,
)
from portal.models import ActionLog, LoggedAction
from tests.factories import CompetitionFactory, UnitFactory, UserFactory
from tests.judging.test_organizer_ranking import (  # noqa: F401 - _restore_language is an autouse fixture
    _restore_language,
    closed_round,
    english_client,
    judges_of,
    ladder,
    next_round_of,
    quick_entry,
    round_url,
)


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def version(competition, unit, alice):
    """A published version of a closed round 1 (three entries, the top one advanced), in its public notice."""
    round = closed_round(competition)
    next_round_of(round)
    ladder(round, unit, 3, judges_of(round, 2))
    advancement.advance(round=round, actor=alice, top_k_per_unit=1)
    draft = versions.prepare_version(round=round, actor=alice)
    draft = versions.schedule_publication(
        version=draft, publish_at=timezone.now(), notice_ends_at=timezone.now() + timedelta(days=5), actor=alice
    )
    return versions.publish_version(version=draft, actor=alice)


@pytest.fixture
def objector(db):
    return UserFactory(email="objector@example.com", display_name="Objector")


@pytest.fixture
def objection(version, objector):
    entry = version.round.round_entries.order_by("entry__sequence").first().entry
    return Objection.objects.create(
        version=version,
        entry=entry,
        author=objector,
        text="<script>alert('objection')</script> The score is wrong.",
        evidence=ContentFile(b"%PDF-1.4\n%%EOF", name="objections/evidence.pdf"),
        evidence_type="application/pdf",
        evidence_size=14,
    )


def answer_url(objection, round=None):
    return round_url("objection_answer", round or objection.version.round, objection.pk)


def detail_url(version):
    return round_url("version_detail", version.round, version.pk)


def end_notice(version):
    past = timezone.now() - timedelta(days=8)
    ResultVersion.objects.filter(pk=version.pk).update(
        publish_at=past, published_at=past, notice_ends_at=timezone.now() - timedelta(hours=1)
    )
    version.refresh_from_db()
    return version


# --- Access ------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(objection):
    response = english_client().post(answer_url(objection), {"decision": "rejected", "answer": "no"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN


@pytest.mark.parametrize("who", ["charlie", "bob", "dave", "objector"])
def test_only_organizers_may_answer(request, objection, who):
    client = english_client(request.getfixturevalue(who))
    assert client.post(answer_url(objection), {"decision": "rejected", "answer": "no"}).status_code == 404
    response = client.get(detail_url(objection.version))
    assert response.status_code == 404 and b"The score is wrong" not in response.content
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN and objection.answer == ""
    assert not mail.outbox


def test_answer_is_post_only(client, objection):
    assert client.get(answer_url(objection)).status_code == 405


def test_a_forged_objection_id_is_404(client, objection, objector):
    other = closed_round(CompetitionFactory(slug="elsewhere"))
    foreign_entry = quick_entry(UnitFactory(competition=other.competition))
    foreign_version = ResultVersion.objects.create(
        round=other,
        number=1,
        method="mean",
        snapshot_sha256="0" * 64,
        status=VersionStatus.PUBLISHED,
        published_at=timezone.now(),
        notice_ends_at=timezone.now() + timedelta(days=3),
    )
    foreign = Objection.objects.create(version=foreign_version, entry=foreign_entry, author=objector, text="x")
    for target in (answer_url(foreign, round=objection.version.round), answer_url(foreign)):
        assert client.post(target, {"decision": "upheld", "answer": "forged"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ObjectionStatus.OPEN


# --- Listing and answering ---------------------------------------------------------------------------------------


def test_objections_are_listed_with_evidence_and_escaped(client, objection):
    html = client.get(detail_url(objection.version)).content.decode()
    item = html.split(f'id="objection-{objection.pk}"', 1)[1].split("</li>", 1)[0]
    assert "&lt;script&gt;alert(&#x27;objection&#x27;)&lt;/script&gt; The score is wrong." in item
    assert "<script>alert" not in html
    assert reverse("judging:objection_evidence", args=[objection.pk]) in item
    assert "Awaiting an answer" in item and objection.entry.number in item
    assert 'action="' + answer_url(objection) + '"' in item


def test_rejecting_an_objection_emails_the_author(client, objection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            answer_url(objection), {"decision": "rejected", "answer": "<i>Checked</i> by the jury: scores stand."}
        )
    assert response.status_code == 302
    assert response["Location"] == detail_url(objection.version) + "#objections"
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.REJECTED
    assert objection.answer == "<i>Checked</i> by the jury: scores stand."
    assert objection.answered_by.email == "alice@example.com"
    assert ActionLog.objects.filter(action=LoggedAction.OBJECTION_ANSWERED).exists()
    assert [message.to for message in mail.outbox] == [["objector@example.com"]]
    html = client.get(response["Location"]).content.decode()
    assert "is rejected and its author has been told" in html
    item = html.split(f'id="objection-{objection.pk}"', 1)[1].split("</li>", 1)[0]
    assert "&lt;i&gt;Checked&lt;/i&gt; by the jury" in item and "<i>Checked</i>" not in item
    assert "answer-form" not in item


def test_upholding_says_what_to_do_next(client, objection):
    response = client.post(answer_url(objection), {"decision": "upheld", "answer": "Agreed."}, follow=True)
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    assert "override the decision or the award, then revise the version" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "upheld", "answer": ""}, "Write the answer: the person who objected receives it."),
        ({"decision": "", "answer": "typed answer"}, "This field is required."),
        ({"decision": "open", "answer": "typed answer"}, "Select a valid choice."),
    ],
)
def test_a_bad_answer_is_refused_with_what_was_typed(client, objection, data, message):
    response = client.post(answer_url(objection), data)
    assert response.status_code == 200
    html = response.content.decode()
    form = html.split(f'id="objection-{objection.pk}"', 1)[1].split("</form>", 1)[0]
    assert message in form
    if data["answer"]:
        assert data["answer"] in form
    if data["decision"] == "upheld":
        assert re.search(r'value="upheld"[^>]*checked', form)
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN and objection.answer == ""
    assert not mail.outbox


def test_an_answered_objection_cannot_be_answered_again(client, objection):
    client.post(answer_url(objection), {"decision": "rejected", "answer": "First answer."})
    response = client.post(answer_url(objection), {"decision": "upheld", "answer": "Second answer."})
    assert response.status_code == 200
    assert "This objection has already been answered." in response.content.decode()
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.REJECTED and objection.answer == "First answer."


# --- Finalising waits for the answers ----------------------------------------------------------------------------


def test_finalising_waits_for_every_answer(client, objection):
    version = end_notice(objection.version)
    html = client.get(detail_url(version)).content.decode()
    assert "Possible once the 1 open objection is answered." in html
    response = client.post(round_url("version_finalise", version.round, version.pk), follow=True)
    assert "1 objection still waits for an answer" in response.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED

    client.post(answer_url(objection), {"decision": "rejected", "answer": "Scores stand."})
    response = client.post(round_url("version_finalise", version.round, version.pk), follow=True)
    version.refresh_from_db()
    assert version.status == VersionStatus.FINAL
    assert "This result is final." in response.content.decode()


def test_open_objections_of_an_earlier_version_show_on_the_revision(client, objection, alice):
    revision = versions.revise_version(version=objection.version, actor=alice, reason="Objection under review")
    html = client.get(detail_url(revision)).content.decode()
    item = html.split(f'id="objection-{objection.pk}"', 1)[1].split("</li>", 1)[0]
    assert "against version 1" in item and "answer-form" in item


def test_version_page_query_count_is_flat(client, version, objector):
    entries = [row.entry for row in version.round.round_entries.select_related("entry")]

    def add(count):
        for index in range(count):
            entry = entries[index % len(entries)]
            Objection.objects.create(version=version, entry=entry, author=objector, text=f"objection {index}")
            ResultNotification.objects.create(
                version=version,
                entry=entry,
                recipient=f"r{index}-{Objection.objects.count()}@example.com",
                kind=NotificationKind.NOT_ADVANCED,
                status=NotificationStatus.FAILED,
                attempts=1,
                last_error="boom",
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(version)).status_code == 200
        return len(queries)

    add(1)
    few = count()
    add(6)
    assert count() == few
