"""Console: creating and editing a competition, and editing its tracks."""

import html as html_lib
import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import (
    DEFAULT_REQUIRED_MATERIALS,
    ActionLog,
    Competition,
    CompetitionRole,
    CompetitionStatus,
    LoggedAction,
    Role,
    TrackKind,
)
from tests.factories import UserFactory

CREATE_URL = reverse("portal:console_competition_create")


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def creator(db):
    """Platform staff: the people who may create competitions."""
    return UserFactory(email="staff@example.com", display_name="Sam Staff", is_staff=True)


@pytest.fixture
def staff_client(client, creator):
    client.force_login(creator)
    return client


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def new_competition_data(**overrides):
    data = {
        "name_zh": "追光计划 2027",
        "name_en": "Light-Chasing 2027",
        "slug": "lcp-2027",
        "edition_year": "2027",
        "entry_prefix": "LCP2027",
        "timezone": "Asia/Shanghai",
        "status": "draft",
        "submission_opens_at": "2026-06-01T09:00",
        "submission_closes_at": "2026-12-31T23:59",
        "description_zh": "",
        "description_en": "",
        "rules_zh": "",
        "rules_en": "",
    }
    data.update(overrides)
    return data


def edit_data(competition, **overrides):
    """What the edit form would post back unchanged: the window as wall-clock times in the competition's zone."""
    tz = competition.tzinfo
    data = {
        "name_zh": competition.name_zh,
        "name_en": competition.name_en,
        "slug": competition.slug,
        "edition_year": str(competition.edition_year),
        "entry_prefix": competition.entry_prefix,
        "timezone": competition.timezone,
        "status": competition.status,
        "terms_version": competition.terms_version,
        "submission_opens_at": competition.submission_opens_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "submission_closes_at": competition.submission_closes_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "description_zh": competition.description_zh,
        "description_en": competition.description_en,
        "rules_zh": competition.rules_zh,
        "rules_en": competition.rules_en,
    }
    data.update(overrides)
    return data


def input_value(html, name):
    """The value attribute of the named input, as the browser would show it."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


@pytest.fixture
def round_competition(competition):
    """The fixture competition with a window on whole minutes, so an unchanged form really is unchanged."""
    competition.submission_opens_at = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    competition.submission_closes_at = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
    competition.save()
    return competition


class TestCreate:
    def test_form_renders(self, staff_client):
        response = staff_client.get(CREATE_URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert "New competition" in html
        assert 'name="submission_closes_at"' in html and 'type="datetime-local"' in html

    def test_creates_competition_tracks_role_and_log(self, staff_client, creator):
        response = staff_client.post(CREATE_URL, new_competition_data())
        competition = Competition.objects.get(slug="lcp-2027")
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:console_competition", args=["lcp-2027"])
        assert competition.name_zh == "追光计划 2027"
        assert competition.status == CompetitionStatus.DRAFT

        assert list(CompetitionRole.objects.filter(competition=competition).values_list("user", "role")) == [
            (creator.pk, Role.ORGANIZER)
        ]
        tracks = {track.kind: track for track in competition.tracks.all()}
        assert set(tracks) == {TrackKind.WORK, TrackKind.STORY}
        for kind, track in tracks.items():
            assert track.required_materials == [str(code) for code in DEFAULT_REQUIRED_MATERIALS[kind]]
        assert tracks[TrackKind.STORY].required_materials == ["script", "entry_form", "rights_letter"]

        log = ActionLog.objects.get(competition=competition)
        assert log.action == LoggedAction.COMPETITION_CREATED
        assert log.actor == creator

        # The creator, now an organizer, sees it in the console.
        overview = staff_client.get(response["Location"])
        assert overview.status_code == 200
        assert "Light-Chasing 2027" in overview.content.decode()

    @pytest.mark.parametrize(
        ("zone", "opens_utc", "closes_utc"),
        [
            ("Asia/Shanghai", datetime(2026, 6, 1, 1, 0, tzinfo=UTC), datetime(2026, 12, 31, 15, 59, tzinfo=UTC)),
            ("Europe/London", datetime(2026, 6, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
            ("America/New_York", datetime(2026, 6, 1, 13, 0, tzinfo=UTC), datetime(2027, 1, 1, 4, 59, tzinfo=UTC)),
        ],
    )
    def test_window_is_typed_in_the_competitions_zone(self, staff_client, zone, opens_utc, closes_utc):
        # June: London is on BST (UTC+1), New York on EDT (UTC-4); December: GMT and EST (UTC-5).
        staff_client.post(CREATE_URL, new_competition_data(timezone=zone))
        competition = Competition.objects.get(slug="lcp-2027")
        assert competition.timezone == zone
        assert competition.submission_opens_at == opens_utc
        assert competition.submission_closes_at == closes_utc

    def test_lowercase_entry_prefix_is_capitalised(self, staff_client):
        staff_client.post(CREATE_URL, new_competition_data(entry_prefix=" lcp2027 "))
        assert Competition.objects.get(slug="lcp-2027").entry_prefix == "LCP2027"

    def test_window_closing_before_it_opens(self, staff_client):
        data = new_competition_data(submission_opens_at="2026-12-31T23:59", submission_closes_at="2026-06-01T09:00")
        response = staff_client.post(CREATE_URL, data)
        assert response.status_code == 200
        assert any("must close after it opens" in e for e in field_errors(response, "submission_closes_at"))
        html = response.content.decode()
        assert "must close after it opens" in html
        assert input_value(html, "name_zh") == "追光计划 2027"
        assert input_value(html, "submission_opens_at") == "2026-12-31T23:59"
        assert input_value(html, "submission_closes_at") == "2026-06-01T09:00"
        assert not Competition.objects.filter(slug="lcp-2027").exists()
        assert not ActionLog.objects.exists()

    def test_same_open_and_close_is_rejected(self, staff_client):
        data = new_competition_data(submission_opens_at="2026-06-01T09:00", submission_closes_at="2026-06-01T09:00")
        response = staff_client.post(CREATE_URL, data)
        assert "must close after it opens" in response.content.decode()
        assert not Competition.objects.filter(slug="lcp-2027").exists()

    def test_duplicate_slug(self, staff_client, competition):
        response = staff_client.post(CREATE_URL, new_competition_data(slug=competition.slug, name_en="Copycat"))
        assert response.status_code == 200
        assert field_errors(response, "slug")
        assert "already exists" in field_errors(response, "slug")[0]
        assert input_value(response.content.decode(), "name_en") == "Copycat"
        assert Competition.objects.filter(slug=competition.slug).count() == 1
        assert not Competition.objects.filter(name_en="Copycat").exists()

    def test_unknown_timezone(self, staff_client):
        response = staff_client.post(CREATE_URL, new_competition_data(timezone="Mars/Olympus_Mons"))
        assert response.status_code == 200
        assert field_errors(response, "timezone")
        assert "Mars/Olympus_Mons" in field_errors(response, "timezone")[0]
        assert input_value(response.content.decode(), "slug") == "lcp-2027"
        assert not Competition.objects.filter(slug="lcp-2027").exists()

    @pytest.mark.parametrize("prefix", ["L", "LCP-2026", "追光", "ABCDEFGHIJKLMNOPQ"])
    def test_bad_entry_prefix(self, staff_client, prefix):
        response = staff_client.post(CREATE_URL, new_competition_data(entry_prefix=prefix))
        assert response.status_code == 200
        assert field_errors(response, "entry_prefix")
        assert input_value(response.content.decode(), "entry_prefix") == prefix
        assert not Competition.objects.filter(slug="lcp-2027").exists()

    def test_bad_entry_prefix_message_explains_the_format(self, staff_client):
        response = staff_client.post(CREATE_URL, new_competition_data(entry_prefix="LCP-2026"))
        assert "Use 2–16 capital letters or digits" in response.content.decode()

    @pytest.mark.parametrize("value", ["31/12/2026", "not a date", "2026-02-30T10:00"])
    def test_malformed_datetime(self, staff_client, value):
        response = staff_client.post(CREATE_URL, new_competition_data(submission_closes_at=value))
        assert response.status_code == 200
        assert field_errors(response, "submission_closes_at")
        assert input_value(response.content.decode(), "submission_closes_at") == value
        assert not Competition.objects.filter(slug="lcp-2027").exists()

    def test_time_skipped_by_daylight_saving_is_an_error(self, staff_client):
        # New York's clocks jump from 02:00 to 03:00 on 2026-03-08: 02:30 never happens there.
        data = new_competition_data(timezone="America/New_York", submission_opens_at="2026-03-08T02:30")
        response = staff_client.post(CREATE_URL, data)
        assert response.status_code == 200
        assert field_errors(response, "submission_opens_at")
        assert input_value(response.content.decode(), "submission_opens_at") == "2026-03-08T02:30"
        assert not Competition.objects.filter(slug="lcp-2027").exists()

    def test_missing_required_fields(self, staff_client):
        response = staff_client.post(CREATE_URL, {"name_en": "Only English"})
        assert response.status_code == 200
        for field in ("name_zh", "slug", "edition_year", "entry_prefix", "submission_opens_at"):
            assert field_errors(response, field), field
        assert input_value(response.content.decode(), "name_en") == "Only English"
        assert not Competition.objects.exists()


class TestEdit:
    def test_form_shows_the_window_in_the_competitions_zone(self, alice_client, round_competition):
        round_competition.timezone = "America/New_York"
        round_competition.save()
        html = alice_client.get(reverse("portal:console_competition_edit", args=[round_competition.slug])).content
        html = html.decode()
        assert input_value(html, "submission_opens_at") == "2025-12-31T20:00"
        assert input_value(html, "submission_closes_at") == "2026-12-31T10:59"

    def test_unchanged_form_keeps_the_window(self, alice_client, round_competition):
        before = (round_competition.submission_opens_at, round_competition.submission_closes_at)
        response = alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]), edit_data(round_competition)
        )
        assert response.status_code == 302
        round_competition.refresh_from_db()
        assert (round_competition.submission_opens_at, round_competition.submission_closes_at) == before
        assert not ActionLog.objects.filter(competition=round_competition).exists()

    def test_status_change_is_logged_with_from_and_to(self, alice_client, alice, round_competition):
        response = alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(round_competition, status="closed"),
        )
        assert response["Location"] == reverse("portal:console_competition", args=[round_competition.slug])
        round_competition.refresh_from_db()
        assert round_competition.status == CompetitionStatus.CLOSED
        logs = list(ActionLog.objects.filter(competition=round_competition))
        assert [(log.action, log.data, log.actor) for log in logs] == [
            (LoggedAction.STATUS_CHANGED, {"from": "open", "to": "closed"}, alice)
        ]

    def test_other_changes_are_logged_with_the_fields(self, alice_client, round_competition):
        alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(round_competition, name_en="Renamed", rules_en="Be kind."),
        )
        round_competition.refresh_from_db()
        assert round_competition.name_en == "Renamed"
        log = ActionLog.objects.get(competition=round_competition)
        assert log.action == LoggedAction.COMPETITION_CHANGED
        assert log.data == {"fields": ["name_en", "rules_en"]}

    def test_changing_the_zone_reads_the_typed_times_in_the_new_zone(self, alice_client, round_competition):
        alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(
                round_competition,
                timezone="Europe/London",
                submission_opens_at="2026-01-01T09:00",
                submission_closes_at="2026-12-31T23:59",
            ),
        )
        round_competition.refresh_from_db()
        assert round_competition.timezone == "Europe/London"
        assert round_competition.submission_opens_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
        assert round_competition.submission_closes_at == datetime(2026, 12, 31, 23, 59, tzinfo=UTC)

    def test_window_closing_before_it_opens(self, alice_client, round_competition):
        response = alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(round_competition, name_en="Typed Name", submission_closes_at="2025-06-01T00:00"),
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "must close after it opens" in html
        assert input_value(html, "name_en") == "Typed Name"
        assert input_value(html, "submission_closes_at") == "2025-06-01T00:00"
        round_competition.refresh_from_db()
        assert round_competition.name_en != "Typed Name"
        assert round_competition.submission_closes_at == datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
        assert not ActionLog.objects.exists()

    def test_duplicate_slug_keeps_the_page_on_this_competition(self, alice_client, round_competition, dave):
        url = reverse("portal:console_competition_edit", args=[round_competition.slug])
        response = alice_client.post(url, edit_data(round_competition, slug="other-competition"))
        assert response.status_code == 200
        assert field_errors(response, "slug")
        html = response.content.decode()
        assert input_value(html, "slug") == "other-competition"
        round_competition.refresh_from_db()
        assert round_competition.slug == "lcp-test"
        # The console's own links still lead to this competition, not to the one whose slug was typed.
        assert reverse("portal:console_team", args=["lcp-test"]) in html
        assert reverse("portal:console_team", args=["other-competition"]) not in html

    def test_rejected_name_does_not_replace_the_page_heading(self, alice_client, round_competition):
        response = alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(round_competition, name_en="Typed Name", entry_prefix="bad prefix"),
        )
        html = response.content.decode()
        assert field_errors(response, "entry_prefix")
        assert input_value(html, "name_en") == "Typed Name"
        assert re.search(r"<h1>(.*?)</h1>", html).group(1) == round_competition.name_en

    def test_renaming_the_slug_leads_to_the_new_address(self, alice_client, round_competition):
        response = alice_client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(round_competition, slug="lcp-renamed"),
        )
        assert response["Location"] == reverse("portal:console_competition", args=["lcp-renamed"])
        assert alice_client.get(response["Location"]).status_code == 200
        round_competition.refresh_from_db()
        assert round_competition.slug == "lcp-renamed"
        assert ActionLog.objects.get(competition=round_competition).data == {"fields": ["slug"]}

    def test_other_organizer_cannot_edit(self, client, dave, round_competition):
        client.force_login(dave)
        response = client.post(
            reverse("portal:console_competition_edit", args=[round_competition.slug]),
            edit_data(round_competition, name_en="Hijacked"),
        )
        assert response.status_code == 404
        round_competition.refresh_from_db()
        assert round_competition.name_en != "Hijacked"


class TestTrackEdit:
    def url(self, competition, kind="work"):
        return reverse("portal:console_track_edit", args=[competition.slug, kind])

    def data(self, **overrides):
        data = {
            "name_zh": "好作品", "name_en": "Finished work", "description_zh": "", "description_en": "",
            "video_orientation": "vertical", "video_min_short_side": "1080", "video_min_long_side": "1920",
        }
        data.update(overrides)
        return data

    def test_form_shows_current_materials(self, alice_client, competition):
        track = competition.tracks.get(kind="work")
        track.required_materials = ["trailer"]
        track.save()
        html = alice_client.get(self.url(competition)).content.decode()
        assert re.search(r'<input[^>]*value="trailer"[^>]*checked', html)
        assert not re.search(r'<input[^>]*value="script"[^>]*checked', html)

    def test_required_materials_are_saved_and_logged(self, alice_client, alice, competition):
        response = alice_client.post(
            self.url(competition), self.data(required_materials=["poster_vertical", "trailer", "episodes"])
        )
        assert response["Location"] == reverse("portal:console_competition", args=[competition.slug])
        track = competition.tracks.get(kind="work")
        assert sorted(track.required_materials) == ["episodes", "poster_vertical", "trailer"]
        log = ActionLog.objects.get(competition=competition)
        assert log.action == LoggedAction.TRACK_CHANGED
        assert log.actor == alice
        assert sorted(log.data["required_materials"]) == ["episodes", "poster_vertical", "trailer"]
        overview = alice_client.get(response["Location"]).content.decode()
        assert "Vertical poster" in overview

    def test_video_rules_are_saved(self, alice_client, competition):
        alice_client.post(
            self.url(competition),
            self.data(video_orientation="horizontal", video_min_short_side="720", video_min_long_side="1280"),
        )
        track = competition.tracks.get(kind="work")
        assert (track.video_orientation, track.video_min_short_side, track.video_min_long_side) == (
            "horizontal", 720, 1280,
        )

    def test_no_materials_is_allowed(self, alice_client, competition):
        track = competition.tracks.get(kind="story")
        track.required_materials = ["script"]
        track.save()
        alice_client.post(self.url(competition, "story"), self.data(name_zh="好故事", name_en="Story"))
        track.refresh_from_db()
        assert track.required_materials == []

    def test_unknown_material_is_rejected(self, alice_client, competition):
        track = competition.tracks.get(kind="work")
        track.required_materials = ["trailer"]
        track.save()
        response = alice_client.post(
            self.url(competition), self.data(name_en="Typed Track", required_materials=["trailer", "hologram"])
        )
        assert response.status_code == 200
        errors = field_errors(response, "required_materials")
        assert errors and "hologram" in errors[0]
        assert input_value(response.content.decode(), "name_en") == "Typed Track"
        track.refresh_from_db()
        assert track.required_materials == ["trailer"]
        assert track.name_en != "Typed Track"
        assert not ActionLog.objects.exists()

    def test_missing_chinese_name(self, alice_client, competition):
        response = alice_client.post(self.url(competition), self.data(name_zh=""))
        assert field_errors(response, "name_zh")
        assert competition.tracks.get(kind="work").name_zh == "好作品"
