"""Console: creating, editing and deleting a competition's thematic units."""

import html as html_lib
import re
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from portal.models import ActionLog, LoggedAction, Unit
from tests.factories import CompetitionFactory, UnitFactory


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def competition(db):
    """Overrides the shared fixture: same slug, a window on whole minutes in Shanghai time."""
    return CompetitionFactory(
        slug="lcp-test",
        timezone="Asia/Shanghai",
        submission_opens_at=datetime(2026, 3, 1, 0, 0, tzinfo=UTC),  # 08:00 in Shanghai
        submission_closes_at=datetime(2026, 12, 31, 15, 59, tzinfo=UTC),
    )


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def unit_data(**overrides):
    data = {
        "name_zh": "城市之光",
        "name_en": "City Lights",
        "slug": "city-lights",
        "position": "1",
        "description_zh": "",
        "description_en": "",
        "episode_min_seconds": "",
        "episode_max_seconds": "",
        "closes_at": "",
    }
    data.update(overrides)
    return data


def create_url(competition):
    return reverse("portal:console_unit_create", args=[competition.slug])


def edit_url(unit):
    return reverse("portal:console_unit_edit", args=[unit.competition.slug, unit.pk])


def input_value(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


class TestCreate:
    def test_creates_unit_and_logs_it(self, alice_client, alice, competition):
        response = alice_client.post(
            create_url(competition), unit_data(episode_min_seconds="60", episode_max_seconds="180")
        )
        assert response["Location"] == reverse("portal:console_competition", args=[competition.slug])
        unit = Unit.objects.get(competition=competition)
        assert (unit.slug, unit.name_zh, unit.name_en, unit.position) == ("city-lights", "城市之光", "City Lights", 1)
        assert (unit.episode_min_seconds, unit.episode_max_seconds, unit.closes_at) == (60, 180, None)
        assert unit.deadline == competition.submission_closes_at
        log = ActionLog.objects.get(competition=competition)
        assert (log.action, log.actor, log.subject, log.data["slug"]) == (
            LoggedAction.UNIT_CREATED, alice, "城市之光", "city-lights"
        )
        overview = alice_client.get(response["Location"]).content.decode()
        assert "城市之光" in overview and "<code>city-lights</code>" in overview
        assert "No units yet" not in overview

    def test_unit_deadline_is_typed_in_the_competitions_zone(self, alice_client, competition):
        alice_client.post(create_url(competition), unit_data(closes_at="2026-10-01T18:00"))
        unit = Unit.objects.get(competition=competition)
        assert unit.closes_at == datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
        assert unit.deadline == unit.closes_at
        # Shown back in the same zone.
        assert input_value(alice_client.get(edit_url(unit)).content.decode(), "closes_at") == "2026-10-01T18:00"

    def test_unit_deadline_in_another_zone(self, alice_client, competition):
        competition.timezone = "America/New_York"
        competition.save()
        alice_client.post(create_url(competition), unit_data(closes_at="2026-10-01T18:00"))
        assert Unit.objects.get(competition=competition).closes_at == datetime(2026, 10, 1, 22, 0, tzinfo=UTC)

    def test_slug_clash_in_the_same_competition(self, alice_client, competition):
        UnitFactory(competition=competition, slug="city-lights", name_zh="旧单元")
        response = alice_client.post(create_url(competition), unit_data(name_zh="新单元"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Another unit of this competition already uses “city-lights”" in html
        assert input_value(html, "name_zh") == "新单元"
        assert input_value(html, "slug") == "city-lights"
        assert list(Unit.objects.filter(competition=competition).values_list("name_zh", flat=True)) == ["旧单元"]
        assert not ActionLog.objects.exists()

    def test_same_slug_in_another_competition_is_fine(self, alice_client, competition):
        UnitFactory(competition=CompetitionFactory(slug="elsewhere"), slug="city-lights")
        response = alice_client.post(create_url(competition), unit_data())
        assert response.status_code == 302
        assert Unit.objects.filter(slug="city-lights").count() == 2
        assert Unit.objects.filter(competition=competition, slug="city-lights").exists()

    def test_longest_episode_shorter_than_shortest(self, alice_client, competition):
        response = alice_client.post(
            create_url(competition), unit_data(episode_min_seconds="300", episode_max_seconds="120")
        )
        assert response.status_code == 200
        assert any("cannot be shorter than the shortest" in e for e in field_errors(response, "episode_max_seconds"))
        html = response.content.decode()
        assert input_value(html, "episode_min_seconds") == "300"
        assert input_value(html, "episode_max_seconds") == "120"
        assert input_value(html, "name_en") == "City Lights"
        assert not Unit.objects.exists()

    def test_equal_episode_bounds_are_fine(self, alice_client, competition):
        alice_client.post(create_url(competition), unit_data(episode_min_seconds="90", episode_max_seconds="90"))
        assert Unit.objects.get(competition=competition).episode_max_seconds == 90

    @pytest.mark.parametrize("typed", ["2026-03-01T08:00", "2026-02-15T12:00"])
    def test_unit_deadline_not_after_submissions_open(self, alice_client, competition, typed):
        # Submissions open 2026-03-01 08:00 Shanghai time.
        response = alice_client.post(create_url(competition), unit_data(closes_at=typed))
        assert response.status_code == 200
        assert any("must be after submissions open" in e for e in field_errors(response, "closes_at"))
        assert input_value(response.content.decode(), "closes_at") == typed
        assert not Unit.objects.exists()

    def test_unit_deadline_just_after_opening_is_fine(self, alice_client, competition):
        alice_client.post(create_url(competition), unit_data(closes_at="2026-03-01T08:01"))
        assert Unit.objects.get().closes_at == datetime(2026, 3, 1, 0, 1, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("field", "value"),
        [("slug", "city lights!"), ("episode_min_seconds", "-5"), ("position", "first"), ("closes_at", "soon")],
    )
    def test_malformed_values(self, alice_client, competition, field, value):
        response = alice_client.post(create_url(competition), unit_data(**{field: value}))
        assert response.status_code == 200
        assert field_errors(response, field)
        assert input_value(response.content.decode(), field) == value
        assert not Unit.objects.exists()

    def test_missing_chinese_name(self, alice_client, competition):
        response = alice_client.post(create_url(competition), unit_data(name_zh=""))
        assert field_errors(response, "name_zh")
        assert input_value(response.content.decode(), "name_en") == "City Lights"
        assert not Unit.objects.exists()


class TestEdit:
    def test_saves_changes_and_logs_the_fields(self, alice_client, alice, unit):
        response = alice_client.post(
            edit_url(unit), unit_data(name_zh="街头巷尾", name_en="Side Streets", slug="street-life", position="4")
        )
        assert response.status_code == 302
        unit.refresh_from_db()
        assert (unit.name_en, unit.slug, unit.position) == ("Side Streets", "street-life", 4)
        log = ActionLog.objects.get(competition=unit.competition)
        assert log.action == LoggedAction.UNIT_CHANGED
        assert log.actor == alice
        assert log.data == {"slug": "street-life", "fields": ["name_en", "position"]}

    def test_keeping_its_own_slug_is_not_a_clash(self, alice_client, unit):
        response = alice_client.post(edit_url(unit), unit_data(name_zh="街头巷尾", slug="street-life"))
        assert response.status_code == 302

    def test_taking_another_units_slug(self, alice_client, unit):
        UnitFactory(competition=unit.competition, slug="city-lights")
        response = alice_client.post(edit_url(unit), unit_data(name_zh="改了名", slug="city-lights"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "already uses “city-lights”" in html
        assert input_value(html, "name_zh") == "改了名"
        unit.refresh_from_db()
        assert (unit.slug, unit.name_zh) == ("street-life", "街头巷尾")

    def test_form_shows_current_values(self, alice_client, unit):
        html = alice_client.get(edit_url(unit)).content.decode()
        assert input_value(html, "name_zh") == "街头巷尾"
        assert input_value(html, "slug") == "street-life"
        assert reverse("portal:console_unit_delete", args=[unit.competition.slug, unit.pk]) in html


class TestDelete:
    def test_deletes_and_logs(self, alice_client, alice, unit):
        competition = unit.competition
        response = alice_client.post(reverse("portal:console_unit_delete", args=[competition.slug, unit.pk]))
        assert response["Location"] == reverse("portal:console_competition", args=[competition.slug])
        assert not Unit.objects.filter(pk=unit.pk).exists()
        log = ActionLog.objects.get(competition=competition)
        assert (log.action, log.actor, log.subject, log.data) == (
            LoggedAction.UNIT_DELETED, alice, "街头巷尾", {"slug": "street-life"}
        )
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert messages == ["The unit “Street Life” has been deleted."]

    def test_delete_leaves_other_units(self, alice_client, unit):
        other = UnitFactory(competition=unit.competition)
        alice_client.post(reverse("portal:console_unit_delete", args=[unit.competition.slug, unit.pk]))
        assert list(Unit.objects.values_list("pk", flat=True)) == [other.pk]

    def test_overview_empty_state_after_last_unit(self, alice_client, unit):
        alice_client.post(reverse("portal:console_unit_delete", args=[unit.competition.slug, unit.pk]))
        html = alice_client.get(reverse("portal:console_competition", args=[unit.competition.slug])).content
        assert "No units yet" in html.decode()
