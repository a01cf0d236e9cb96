"""Eligibility decisions from the entry page: the status, the history row, the entrant's email, and refusals."""

import html as html_lib
import re

import pytest
from django.core import mail

from portal.models import TrackKind
from submissions import services
from submissions.models import CoOwner, EntryEvent, EntryStatus
from tests.factories import EntryFactory, complete_entry
from tests.submissions.organizer_support import decide_url, detail_url, english_client, make_entry

SEPARATOR = "————————————————"  # between the Chinese and the English part of every email


@pytest.fixture
def client(alice):
    return english_client(alice)


@pytest.fixture
def entry(unit):
    return make_entry(unit, status=EntryStatus.SUBMITTED, title="胡同里的光")


def decide(client, entry, django_capture_on_commit_callbacks, **data):
    data.setdefault("version", entry.version)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(decide_url(entry), data)


def textarea(page, name="reason"):
    match = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return html_lib.unescape(match.group(1)).strip() if match else None


def test_eligible(client, alice, entry, django_capture_on_commit_callbacks):
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="eligible", reason="")
    assert response.status_code == 302
    assert response["Location"] == detail_url(entry)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ELIGIBLE
    event = EntryEvent.objects.get(entry=entry)
    assert (event.from_status, event.to_status, event.actor) == ("submitted", "eligible", alice)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [entry.owner.email]
    assert entry.number in message.subject
    assert SEPARATOR in message.body  # Chinese first, then English
    assert "it is eligible and goes on to judging" in message.body.split(SEPARATOR)[1]
    page = client.get(detail_url(entry)).content.decode()
    assert "is eligible. The entrant will be notified by email." in page


def test_ineligible_with_a_reason(client, alice, entry, django_capture_on_commit_callbacks):
    CoOwner.objects.create(entry=entry, email="partner@example.com")
    reason = "单集时长超过 3 分钟，不符合本单元要求。"
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="ineligible", reason=f"  {reason} ")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.INELIGIBLE
    assert entry.eligibility_reason == reason
    event = EntryEvent.objects.get(entry=entry)
    assert (event.to_status, event.reason, event.actor) == ("ineligible", reason, alice)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [entry.owner.email, "partner@example.com"]
    chinese, english = message.body.split(SEPARATOR)
    assert reason in chinese and reason in english
    assert "it is not eligible" in english
    html = message.alternatives[0][0]
    assert html.count(reason) == 2
    page = client.get(detail_url(entry)).content.decode()
    assert reason in page
    assert "Change the decision" in page


def test_ineligible_without_reason_is_refused(client, entry, django_capture_on_commit_callbacks):
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="ineligible", reason="   ")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give the reason the entry is ineligible; the entrant will read it." in page
    assert re.search(r'<input type="radio" name="decision" value="ineligible"[^>]*checked', page)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    assert not EntryEvent.objects.filter(entry=entry).exists()
    assert mail.outbox == []


def test_a_draft_cannot_be_decided_and_the_typed_reason_is_kept(client, unit, django_capture_on_commit_callbacks):
    draft = make_entry(unit, title="草稿")
    response = decide(client, draft, django_capture_on_commit_callbacks, decision="ineligible",
                      reason="还没提交，不能判定")
    assert response.status_code == 200
    page = response.content.decode()
    assert "An entry that is Draft cannot become Ineligible." in page
    assert "has not submitted this entry yet" in page
    assert textarea(page) == "还没提交，不能判定"
    draft.refresh_from_db()
    assert draft.status == EntryStatus.DRAFT
    assert not EntryEvent.objects.filter(entry=draft).exists()
    assert mail.outbox == []


def test_a_withdrawn_entry_cannot_be_decided(client, unit, django_capture_on_commit_callbacks):
    withdrawn = make_entry(unit, status=EntryStatus.WITHDRAWN)
    response = decide(client, withdrawn, django_capture_on_commit_callbacks, decision="eligible")
    assert response.status_code == 200
    assert "An entry that is Withdrawn cannot become Eligible." in response.content.decode()
    withdrawn.refresh_from_db()
    assert withdrawn.status == EntryStatus.WITHDRAWN
    assert mail.outbox == []


def test_a_decision_can_be_changed_but_not_repeated(client, alice, entry, django_capture_on_commit_callbacks):
    services.decide_eligibility(entry=entry, actor=alice, eligible=True)
    entry.refresh_from_db()
    page = client.get(detail_url(entry)).content.decode()
    assert 'value="eligible"' not in page  # the only choice left is ineligible
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="eligible", reason="again")
    assert response.status_code == 200
    page = response.content.decode()
    assert "An entry that is Eligible cannot become Eligible." in page
    assert textarea(page) == "again"
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="ineligible", reason="版权存疑")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.INELIGIBLE
    assert list(entry.events.values_list("to_status", flat=True)) == ["ineligible", "eligible"]


def test_a_stale_page_is_refused_and_the_reason_kept(client, entry, django_capture_on_commit_callbacks):
    seen = entry.version
    entry.version += 1  # an entrant saved the entry meanwhile
    entry.save()
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="ineligible",
                      reason="材料不全", version=seen)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This entry changed after you opened it." in page
    assert textarea(page) == "材料不全"
    assert f'name="version" value="{entry.version}"' in page  # deciding again now works
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    response = decide(client, entry, django_capture_on_commit_callbacks, decision="ineligible", reason="材料不全")
    assert response.status_code == 302


@pytest.mark.parametrize(
    "data",
    [{}, {"decision": "approved"}, {"decision": ""}, {"decision": "eligible", "version": "abc"},
     {"decision": "ineligible", "reason": "x" * 2001}],
)
def test_forged_posts_change_nothing(client, entry, django_capture_on_commit_callbacks, data):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(entry), data)
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    assert mail.outbox == []


def test_a_story_submitted_through_the_services_is_decided(client, unit, django_capture_on_commit_callbacks):
    """End to end: the entrant's own submission (with its numbering and email), then the organizer's decision."""
    story = EntryFactory(unit=unit, track=unit.competition.tracks.get(kind=TrackKind.STORY), title="回乡")
    complete_entry(story)
    with django_capture_on_commit_callbacks(execute=True):
        story = services.submit_entry(entry=story, actor=story.owner)
    mail.outbox.clear()
    response = decide(client, story, django_capture_on_commit_callbacks, decision="eligible")
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == EntryStatus.ELIGIBLE
    assert len(mail.outbox) == 1 and story.number in mail.outbox[0].subject
