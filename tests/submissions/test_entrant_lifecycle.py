"""Draft -> submitted -> withdrawn through the views, with a frozen clock around the unit's deadline."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from submissions.models import Entry, EntryEvent, Material
from tests.factories import EntryFactory, complete_entry
from tests.submissions.entrant_support import (
    basics_data,
    credits_data,
    image_bytes,
    overview_url,
    require_default_materials,
    step_url,
    story_track,
    upload,
    upload_url,
)

LOCKED = "The deadline for this unit has passed; the entry is locked."


@pytest.fixture
def client(charlie):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    return client


@pytest.fixture
def story(unit, charlie):
    require_default_materials(unit.competition)
    return EntryFactory(unit=unit, owner=charlie, track=story_track(unit.competition), title="胡同故事", title_en="")


def submit(client, entry, capture):
    with capture(execute=True):
        return client.post(reverse("submissions:entry_submit", args=[entry.pk]), follow=True)


def test_submitting_with_missing_items_lists_them(client, story, django_capture_on_commit_callbacks):
    response = submit(client, story, django_capture_on_commit_callbacks)
    html = response.content.decode()
    assert "The entry is not complete yet." in html
    for label in ("Logline", "Short synopsis", "Outline", "Episode plan", "Writers", "AIGC disclosure",
                  "Script (PDF or DOCX)", "Signed entry form", "Declarations"):
        assert label in html, label
    assert step_url(story, "story") in html and step_url(story, "materials") in html
    story.refresh_from_db()
    assert story.status == "draft" and story.number == ""
    assert mail.outbox == []


def test_a_complete_story_is_submitted_numbered_and_confirmed_once(
    client, story, competition, django_capture_on_commit_callbacks
):
    complete_entry(story)
    assert "Nothing missing: ready to submit." in client.get(overview_url(story)).content.decode()
    response = submit(client, story, django_capture_on_commit_callbacks)
    html = response.content.decode()
    story.refresh_from_db()
    assert story.status == "submitted" and story.number == "LCP2026-0001"
    assert "Your entry has been submitted with the number LCP2026-0001." in html
    assert "LCP2026-0001" in html.split("<main")[1]
    assert EntryEvent.objects.filter(entry=story, from_status="draft", to_status="submitted").count() == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [story.owner.email]
    assert "LCP2026-0001" in message.subject
    assert message.body.count("LCP2026-0001") >= 2  # once in each language
    assert competition.name_zh in message.body and competition.name_en in message.body
    assert "has been received" in message.body
    assert "胡同故事" in message.body

    # Submitting again changes nothing and sends nothing.
    again = submit(client, story, django_capture_on_commit_callbacks)
    assert "This entry has already been submitted." in again.content.decode()
    assert len(mail.outbox) == 1


def test_before_the_deadline_edits_and_submission_are_allowed(client, story, django_capture_on_commit_callbacks):
    complete_entry(story)
    deadline = story.unit.deadline
    with time_machine.travel(deadline - timedelta(minutes=1), tick=False):
        client.force_login(story.owner)  # a session from "today" would have expired by then
        response = client.post(step_url(story, "basics"), basics_data(story, logline="最后一分钟"))
        assert response.status_code == 302
        story.refresh_from_db()
        submit(client, story, django_capture_on_commit_callbacks)
        story.refresh_from_db()
        assert story.status == "submitted"
        # A submitted entry may still change until the deadline, and stays submitted.
        response = client.post(step_url(story, "basics"), basics_data(story, logline="提交后改"))
        assert response.status_code == 302
    story.refresh_from_db()
    assert (story.status, story.logline) == ("submitted", "提交后改")


def test_after_the_deadline_everything_is_refused(client, story, django_capture_on_commit_callbacks):
    complete_entry(story, materials=False)
    deadline = story.unit.deadline
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        client.force_login(story.owner)
        page = client.get(step_url(story, "basics")).content.decode()
        assert LOCKED in page
        assert "disabled" in page and "Save draft" not in page

        # A direct POST is refused with the reason; what was typed is still shown.
        response = client.post(step_url(story, "basics"), basics_data(story, logline="迟到的修改"))
        html = response.content.decode()
        assert response.status_code == 200
        assert LOCKED in html and "迟到的修改" in html and "Nothing was saved." in html

        rows = credits_data(story, [{"role": "screenwriter", "name": "迟到的编剧"}])
        html = client.post(step_url(story, "credits"), rows).content.decode()
        assert LOCKED in html and "迟到的编剧" in html

        html = submit(client, story, django_capture_on_commit_callbacks).content.decode()
        assert LOCKED in html

        response = client.post(upload_url(story, "script"), {"file": upload("s.png", image_bytes())}, follow=True)
        assert LOCKED in response.content.decode()

        response = client.post(reverse("submissions:entry_withdraw", args=[story.pk]), {"confirm": "on"}, follow=True)
        assert LOCKED in response.content.decode()

        materials_page = client.get(step_url(story, "materials")).content.decode()
        assert 'type="file"' not in materials_page
    story.refresh_from_db()
    assert (story.status, story.logline, story.version) == ("draft", "一句话讲清故事", 1)
    assert not Material.objects.exists()
    assert list(story.credits.values_list("name", flat=True)) == ["林导演"]
    assert mail.outbox == []


def test_a_unit_deadline_earlier_than_the_competition_counts(client, story):
    story.unit.closes_at = story.competition.submission_closes_at - timedelta(days=5)
    story.unit.save()
    with time_machine.travel(story.unit.closes_at + timedelta(minutes=1), tick=False):
        client.force_login(story.owner)
        response = client.post(step_url(story, "basics"), basics_data(story, logline="单元截止后"))
        assert LOCKED in response.content.decode()
    story.refresh_from_db()
    assert story.logline == ""


def test_withdrawing_needs_confirmation_and_then_locks_the_entry(client, story, django_capture_on_commit_callbacks):
    url = reverse("submissions:entry_withdraw", args=[story.pk])
    response = client.post(url, {})
    assert "Tick the box to confirm the withdrawal." in response.content.decode()
    story.refresh_from_db()
    assert story.status == "draft"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on"}, follow=True)
    assert "The entry has been withdrawn." in response.content.decode()
    story.refresh_from_db()
    assert story.status == "withdrawn"
    assert len(mail.outbox) == 1

    withdrawn = "This entry has been withdrawn and can no longer be changed."
    response = client.post(step_url(story, "basics"), basics_data(story, title="复活"))
    assert withdrawn in response.content.decode()
    html = client.get(overview_url(story)).content.decode()
    assert withdrawn in html
    assert reverse("submissions:entry_submit", args=[story.pk]) not in html
    assert url not in html
    assert submit(client, story, django_capture_on_commit_callbacks).status_code == 200
    story.refresh_from_db()
    assert (story.status, story.title) == ("withdrawn", "胡同故事")


def test_the_overview_shows_status_history_and_coowners(client, story, django_capture_on_commit_callbacks):
    from submissions.models import CoOwner

    CoOwner.objects.create(entry=story, email="partner@example.com")
    complete_entry(story)
    submit(client, story, django_capture_on_commit_callbacks)
    story.refresh_from_db()
    html = client.get(overview_url(story)).content.decode()
    assert "partner@example.com" in html
    assert "Draft → Submitted" in html
    assert "Submitted" in html and story.number in html
    assert Entry.objects.get(pk=story.pk).status == "submitted"
