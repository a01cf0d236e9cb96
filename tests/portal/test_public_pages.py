"""Public pages: home, competition list, competition detail and rules."""

import re
import zoneinfo
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portal.models import CompetitionStatus, Role
from tests.factories import CompetitionFactory, RoleFactory, UnitFactory

FROZEN_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)


@pytest.fixture
def client():
    # English pages, whatever translations exist: the assertions below read English text.
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def draft(alice):
    competition = CompetitionFactory(
        slug="secret-draft", name_en="Secret Draft Festival", status=CompetitionStatus.DRAFT
    )
    RoleFactory(competition=competition, user=alice, role=Role.ORGANIZER)
    return competition


def local(moment, zone):
    return moment.astimezone(zoneinfo.ZoneInfo(zone))


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


class TestEmptyStates:
    @pytest.mark.parametrize("url_name", ["portal:home", "portal:competition_list"])
    def test_no_competitions(self, client, db, url_name):
        response = client.get(reverse(url_name))
        assert response.status_code == 200
        assert "No competitions yet" in response.content.decode()

    def test_competition_without_units(self, client, competition):
        response = client.get(reverse("portal:competition_detail", args=[competition.slug]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "The organizers have not announced the units yet." in html

    def test_rules_not_published(self, client, competition):
        response = client.get(reverse("portal:competition_rules", args=[competition.slug]))
        assert response.status_code == 200
        assert "The rules have not been published yet." in response.content.decode()


class TestListings:
    @pytest.mark.parametrize("url_name", ["portal:home", "portal:competition_list"])
    @pytest.mark.parametrize("who", [None, "charlie", "bob", "dave"])
    def test_drafts_are_not_listed_for_others(self, request, client, competition, draft, url_name, who):
        user = request.getfixturevalue(who) if who else None
        html = signed_in(client, user).get(reverse(url_name)).content.decode()
        assert competition.name_en in html
        assert draft.name_en not in html
        assert reverse("portal:competition_detail", args=[draft.slug]) not in html

    @pytest.mark.parametrize("url_name", ["portal:home", "portal:competition_list"])
    def test_drafts_are_listed_for_their_organizer(self, client, alice, competition, draft, url_name):
        html = signed_in(client, alice).get(reverse(url_name)).content.decode()
        assert competition.name_en in html
        assert draft.name_en in html
        assert reverse("portal:competition_detail", args=[draft.slug]) in html

    def test_competition_listed_once_even_with_several_roles(self, client, alice, competition):
        RoleFactory(competition=competition, user=alice, role=Role.JUDGE)
        html = signed_in(client, alice).get(reverse("portal:competition_list")).content.decode()
        assert html.count(reverse("portal:competition_detail", args=[competition.slug])) == 1

    def test_card_shows_deadline_in_competition_zone(self, client, db):
        CompetitionFactory(
            slug="ny", name_en="New York Shorts", timezone="America/New_York",
            submission_opens_at=datetime(2026, 1, 1, tzinfo=UTC), submission_closes_at=DEADLINE,
        )
        html = client.get(reverse("portal:competition_list")).content.decode()
        expected = local(DEADLINE, "America/New_York").strftime("%Y-%m-%d %H:%M")
        assert f"Entries close {expected} (America/New_York)" in html


class TestDraftAccess:
    @pytest.mark.parametrize("url_name", ["portal:competition_detail", "portal:competition_rules"])
    @pytest.mark.parametrize("who", [None, "charlie", "bob", "dave"])
    def test_draft_is_404_for_everyone_but_its_organizers(self, request, client, draft, url_name, who):
        user = request.getfixturevalue(who) if who else None
        # bob judges the draft too: judging does not reveal a competition before it is published.
        if who == "bob":
            RoleFactory(competition=draft, user=user, role=Role.JUDGE)
        response = signed_in(client, user).get(reverse(url_name, args=[draft.slug]))
        assert response.status_code == 404
        assert draft.name_en not in response.content.decode()

    @pytest.mark.parametrize("url_name", ["portal:competition_detail", "portal:competition_rules"])
    def test_draft_is_shown_to_its_organizer(self, client, alice, draft, url_name):
        response = signed_in(client, alice).get(reverse(url_name, args=[draft.slug]))
        assert response.status_code == 200
        assert draft.name_en in response.content.decode()

    @pytest.mark.parametrize("url_name", ["portal:competition_detail", "portal:competition_rules"])
    def test_unknown_slug_is_404(self, client, db, url_name):
        assert client.get(reverse(url_name, args=["no-such-competition"])).status_code == 404


class TestDetail:
    def test_shows_units_in_order(self, client, competition):
        UnitFactory(competition=competition, name_en="Second Unit", position=2, episode_min_seconds=60,
                    episode_max_seconds=180)
        UnitFactory(competition=competition, name_en="First Unit", position=1)
        html = client.get(reverse("portal:competition_detail", args=[competition.slug])).content.decode()
        assert "The organizers have not announced the units yet." not in html
        assert "First Unit" in html and "Second Unit" in html
        assert html.index("First Unit") < html.index("Second Unit")
        assert "Episodes: 60–180 seconds" in html

    def test_organizer_gets_console_link_others_do_not(self, client, alice, charlie, competition):
        console_url = reverse("portal:console_competition", args=[competition.slug])
        assert console_url in signed_in(client, alice).get(
            reverse("portal:competition_detail", args=[competition.slug])
        ).content.decode()
        other = Client(HTTP_ACCEPT_LANGUAGE="en")
        assert console_url not in signed_in(other, charlie).get(
            reverse("portal:competition_detail", args=[competition.slug])
        ).content.decode()

    @time_machine.travel(FROZEN_NOW, tick=False)
    @pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Europe/London"])
    def test_deadline_and_countdown_in_competition_zone(self, client, db, zone):
        competition = CompetitionFactory(
            slug="zoned", timezone=zone, submission_opens_at=datetime(2026, 1, 1, tzinfo=UTC),
            submission_closes_at=DEADLINE,
        )
        html = client.get(reverse("portal:competition_detail", args=[competition.slug])).content.decode()
        deadline = local(DEADLINE, zone)
        shown = deadline.strftime("%Y-%m-%d %H:%M")
        # Worked out by hand too, so the test does not only repeat the code's arithmetic.
        assert shown == {
            "Asia/Shanghai": "2026-12-31 23:59",
            "America/New_York": "2026-12-31 10:59",
            "Europe/London": "2026-12-31 15:59",
        }[zone]
        deadline_block = re.search(r'<dd id="deadline">(.*?)</dd>', html, re.S).group(1)
        assert shown in deadline_block
        assert f'datetime="{deadline.isoformat()}"' in deadline_block
        countdown = re.search(r'<span class="countdown" data-countdown="([^"]+)"', html)
        assert countdown is not None
        assert datetime.fromisoformat(countdown.group(1)) == DEADLINE
        assert countdown.group(1) == deadline.isoformat()
        assert f"All times are in {zone}." in html
        assert "Time left to enter" in html

    @time_machine.travel(FROZEN_NOW, tick=False)
    def test_countdown_before_opening_counts_to_the_opening(self, client, db):
        opens = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
        competition = CompetitionFactory(slug="soon", submission_opens_at=opens, submission_closes_at=DEADLINE)
        html = client.get(reverse("portal:competition_detail", args=[competition.slug])).content.decode()
        assert "Opens in" in html
        countdown = re.search(r'data-countdown="([^"]+)"', html).group(1)
        assert datetime.fromisoformat(countdown) == opens

    @time_machine.travel(datetime(2027, 2, 1, tzinfo=UTC), tick=False)
    def test_countdown_after_the_deadline_says_closed(self, client, db):
        competition = CompetitionFactory(
            slug="over", submission_opens_at=datetime(2026, 1, 1, tzinfo=UTC), submission_closes_at=DEADLINE
        )
        html = client.get(reverse("portal:competition_detail", args=[competition.slug])).content.decode()
        span = re.search(r'<span class="countdown"[^>]*>(.*?)</span>', html, re.S).group(1)
        assert span.strip() == "Closed"

    def test_unit_deadline_in_competition_zone(self, client, db):
        competition = CompetitionFactory(
            slug="ny-units", timezone="America/New_York",
            submission_opens_at=datetime(2026, 1, 1, tzinfo=UTC), submission_closes_at=DEADLINE,
        )
        unit_deadline = datetime(2026, 7, 4, 3, 30, tzinfo=UTC)
        UnitFactory(competition=competition, name_en="Fireworks", closes_at=unit_deadline)
        html = client.get(reverse("portal:competition_detail", args=[competition.slug])).content.decode()
        assert "Own deadline: 2026-07-03 23:30" in html  # EDT is UTC-4 in July


class TestRules:
    def test_rules_page_shows_rules_requirements_units_and_local_dates(self, client, db):
        competition = CompetitionFactory(
            slug="with-rules", rules_en="Entries must be original.", timezone="Asia/Shanghai",
            submission_opens_at=datetime(2026, 3, 1, 16, 0, tzinfo=UTC), submission_closes_at=DEADLINE,
        )
        work = competition.tracks.get(kind="work")
        work.required_materials = ["trailer", "episodes"]
        work.save()
        UnitFactory(competition=competition, name_en="Hometown")
        html = client.get(reverse("portal:competition_rules", args=[competition.slug])).content.decode()
        assert "Entries must be original." in html
        assert "Entries are accepted from 2026-03-02 00:00 until 2026-12-31 23:59 (Asia/Shanghai)." in html
        assert "Trailer · Episodes" in html
        assert "Hometown" in html
