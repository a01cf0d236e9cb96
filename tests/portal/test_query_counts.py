"""Every list page makes the same number of queries with N rows as with 3N rows."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import CompetitionStatus, Role
from portal.services import log_action
from tests.factories import CompetitionFactory, RoleFactory, UnitFactory, UserFactory

N = 3


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def assert_flat(client, url, add_rows, marker):
    """Add N rows, measure; add 2N more, measure again. The page must show every row both times."""
    client.get(url)  # warm up one-off caches so they do not count against the first measurement
    add_rows(N)
    first, html = count_queries(client, url)
    assert html.count(marker) >= N
    add_rows(2 * N)
    second, html = count_queries(client, url)
    assert html.count(marker) >= 3 * N
    assert first == second, f"{url}: {first} queries with {N} rows, {second} with {3 * N}"


def public_competitions(count, organizer=None):
    for _ in range(count):
        competition = CompetitionFactory(name_en="Listed Festival")
        UnitFactory(competition=competition)
        if organizer:
            RoleFactory(competition=competition, user=organizer, role=Role.ORGANIZER)
            RoleFactory(competition=competition, user=UserFactory(), role=Role.JUDGE)


@pytest.mark.parametrize("url_name", ["portal:home", "portal:competition_list"])
def test_public_lists_anonymous(client, db, url_name):
    assert_flat(client, reverse(url_name), public_competitions, "Listed Festival")


@pytest.mark.parametrize("url_name", ["portal:home", "portal:competition_list"])
def test_public_lists_for_an_organizer_with_drafts(client, alice, url_name):
    client.force_login(alice)

    def add(count):
        for _ in range(count):
            draft = CompetitionFactory(name_en="Listed Festival", status=CompetitionStatus.DRAFT)
            RoleFactory(competition=draft, user=alice, role=Role.ORGANIZER)
            CompetitionFactory(name_en="Listed Festival")

    assert_flat(client, reverse(url_name), add, "Listed Festival")


@pytest.mark.parametrize("url_name", ["portal:competition_detail", "portal:competition_rules"])
def test_competition_pages_as_units_grow(client, competition, url_name):
    def add(count):
        for i in range(count):
            UnitFactory(competition=competition, name_en="Listed Unit", episode_min_seconds=30,
                        episode_max_seconds=60 + i, closes_at=competition.submission_closes_at)

    assert_flat(client, reverse(url_name, args=[competition.slug]), add, "Listed Unit")


def test_competition_detail_signed_in_organizer(client, alice, competition):
    client.force_login(alice)

    def add(count):
        for _ in range(count):
            UnitFactory(competition=competition, name_en="Listed Unit")

    assert_flat(client, reverse("portal:competition_detail", args=[competition.slug]), add, "Listed Unit")


def test_console_home_as_competitions_grow(client, alice):
    client.force_login(alice)

    def add(count):
        for _ in range(count):
            competition = CompetitionFactory(name_en="Organized Festival")
            RoleFactory(competition=competition, user=alice, role=Role.ORGANIZER)
            RoleFactory(competition=competition, user=UserFactory(), role=Role.ORGANIZER)
            UnitFactory(competition=competition)
            UnitFactory(competition=competition)

    assert_flat(client, reverse("portal:console_home"), add, "Organized Festival")


def test_console_overview_as_units_and_log_grow(client, alice, competition):
    client.force_login(alice)

    def add(count):
        for _ in range(count):
            UnitFactory(competition=competition, name_zh="列出的单元")
            actor = UserFactory(display_name="Logged Actor")
            RoleFactory(competition=competition, user=actor, role=Role.ORGANIZER)
            log_action(competition=competition, actor=actor, action="unit_changed", subject="列出的单元")

    assert_flat(client, reverse("portal:console_competition", args=[competition.slug]), add, "列出的单元")


def test_console_team_as_organizers_grow(client, alice, competition):
    client.force_login(alice)

    def add(count):
        for _ in range(count):
            RoleFactory(competition=competition, user=UserFactory(display_name="Team Member"), role=Role.ORGANIZER)
            RoleFactory(competition=competition, user=UserFactory(display_name="Judge Only"), role=Role.JUDGE)

    assert_flat(client, reverse("portal:console_team", args=[competition.slug]), add, "Team Member")
