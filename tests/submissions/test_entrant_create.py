"""Starting an entry: only while the competition takes entries, with every refusal explained."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import CompetitionStatus
from submissions.models import Entry
from tests.factories import CompetitionFactory, UnitFactory
from tests.submissions.entrant_support import require_default_materials, step_url


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def create_url(competition):
    return reverse("submissions:entry_create", args=[competition.slug])


def test_create_lists_tracks_with_their_materials_and_starts_a_draft(client, charlie, competition, unit):
    require_default_materials(competition)
    client.force_login(charlie)
    html = client.get(create_url(competition)).content.decode()
    assert "Finished work" in html and "Story" in html
    assert "Vertical poster" in html and "Script (PDF or DOCX)" in html
    assert "Street Life" in html

    story = competition.tracks.get(kind="story")
    response = client.post(
        create_url(competition), {"track": story.pk, "unit": unit.pk, "title": "胡同里的光", "title_en": "Hutong Light"}
    )
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == step_url(entry, "basics")
    assert (entry.owner, entry.track, entry.unit, entry.status) == (charlie, story, unit, "draft")
    assert (entry.title, entry.title_en, entry.number) == ("胡同里的光", "Hutong Light", "")


def test_missing_fields_keep_what_was_typed(client, charlie, competition, unit):
    client.force_login(charlie)
    response = client.post(create_url(competition), {"unit": unit.pk, "title": "", "title_en": "Typed <English> title"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert 'value="Typed &lt;English&gt; title"' in html
    assert not Entry.objects.exists()


def test_a_unit_of_another_competition_is_refused(client, charlie, competition, unit):
    foreign = UnitFactory(competition=CompetitionFactory())
    client.force_login(charlie)
    response = client.post(
        create_url(competition),
        {"track": competition.tracks.first().pk, "unit": foreign.pk, "title": "串门"},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"status": CompetitionStatus.CLOSED}, "This competition is not accepting entries now."),
        ({"submission_opens_at": timezone.now() + timedelta(days=1),
          "submission_closes_at": timezone.now() + timedelta(days=30)}, "Submissions have not opened yet."),
    ],
)
def test_no_entries_outside_the_window(client, charlie, competition, unit, change, message):
    for name, value in change.items():
        setattr(competition, name, value)
    competition.save()
    client.force_login(charlie)
    page = client.get(create_url(competition)).content.decode()
    assert message in page
    assert 'name="title"' not in page
    response = client.post(
        create_url(competition), {"track": competition.tracks.first().pk, "unit": unit.pk, "title": "迟到"}
    )
    assert message in response.content.decode()
    assert not Entry.objects.exists()


def test_a_unit_past_its_own_deadline_is_not_offered(client, charlie, competition, unit):
    closed = UnitFactory(competition=competition, name_en="Closed Unit", closes_at=timezone.now() - timedelta(hours=1))
    client.force_login(charlie)
    html = client.get(create_url(competition)).content.decode()
    assert "Street Life" in html and "Closed Unit" not in html
    response = client.post(
        create_url(competition), {"track": competition.tracks.first().pk, "unit": closed.pk, "title": "晚了"}
    )
    assert response.status_code == 200
    assert not Entry.objects.exists()


def test_a_draft_competition_is_404_for_entrants(client, charlie):
    draft = CompetitionFactory(status=CompetitionStatus.DRAFT)
    client.force_login(charlie)
    assert client.get(create_url(draft)).status_code == 404


def test_competition_page_offers_to_enter_only_while_open(client, competition, unit):
    url = reverse("portal:competition_detail", args=[competition.slug])
    assert create_url(competition) in client.get(url).content.decode()
    competition.status = CompetitionStatus.CLOSED
    competition.save()
    assert create_url(competition) not in client.get(url).content.decode()


def test_my_entries_link_in_the_header(client, charlie):
    assert reverse("submissions:dashboard") not in client.get(reverse("portal:home")).content.decode()
    client.force_login(charlie)
    assert reverse("submissions:dashboard") in client.get(reverse("portal:home")).content.decode()


def test_empty_dashboard_points_to_open_competitions(client, charlie, competition, unit):
    client.force_login(charlie)
    html = client.get(reverse("submissions:dashboard")).content.decode()
    assert "You have no entries yet" in html
    assert create_url(competition) in html
    assert reverse("portal:competition_list") in html
