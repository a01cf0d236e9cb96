"""Organizer pages of rounds: the competition's list, the default rounds, creating and editing a round, its overview."""

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from judging.models import Round, RoundEntry, ScoreStatus
from portal.models import ActionLog, LoggedAction
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
)


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def list_url(competition):
    return reverse("judging:rounds", args=[competition.slug])


def create_url(competition):
    return reverse("judging:round_create", args=[competition.slug])


def defaults_url(competition):
    return reverse("judging:rounds_create_defaults", args=[competition.slug])


def detail_url(round, competition=None):
    return reverse("judging:round_detail", args=[(competition or round.competition).slug, round.pk])


def edit_url(round, competition=None):
    return reverse("judging:round_edit", args=[(competition or round.competition).slug, round.pk])


def round_data(**overrides):
    data = {
        "kind": "preliminary",
        "name_zh": "初评",
        "name_en": "Preliminary round",
        "opens_at": "2026-07-01T09:00",
        "closes_at": "2026-07-15T18:00",
        "judges_per_entry": "3",
        "blind": "on",
        "peer_scores": "never",
        "required_watch_share": "80",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def input_value(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def field_errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def score(round, entry, judge, status=ScoreStatus.SUBMITTED):
    from judging.models import Score

    return Score.objects.create(
        round=round, entry=entry, judge=judge, rubric=round.rubrics.first(), status=status, total=50
    )


# --- Access --------------------------------------------------------------------------------------------------


def all_urls(competition, round):
    return [
        list_url(competition),
        create_url(competition),
        detail_url(round),
        edit_url(round),
    ]


def test_anonymous_is_sent_to_sign_in(client, judging_round, competition):
    for url in all_urls(competition, judging_round) + [defaults_url(competition)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(client, judging_round, competition, bob_membership, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in all_urls(competition, judging_round):
        assert client.get(url).status_code == 404, url
    assert client.post(defaults_url(competition)).status_code == 404
    assert client.post(create_url(competition), round_data()).status_code == 404
    assert client.post(edit_url(judging_round), round_data(name_zh="改名")).status_code == 404
    assert Round.objects.filter(competition=competition).count() == 1
    assert Round.objects.get(pk=judging_round.pk).name_zh == "初评"


def test_a_round_of_another_competition_is_404_under_this_competitions_address(alice_client, competition):
    other_round = RoundFactory(competition=CompetitionFactory(slug="elsewhere"), name_zh="别人的评审")
    assert alice_client.get(detail_url(other_round, competition)).status_code == 404
    assert alice_client.get(edit_url(other_round, competition)).status_code == 404
    assert alice_client.post(edit_url(other_round, competition), round_data(name_zh="改名")).status_code == 404
    assert Round.objects.get(pk=other_round.pk).name_zh == "别人的评审"
    # Nor under its own address: alice does not organize that competition.
    assert alice_client.get(detail_url(other_round)).status_code == 404


# --- The list ------------------------------------------------------------------------------------------------


def test_empty_list_offers_default_rounds_and_adding_one(alice_client, competition):
    html = alice_client.get(list_url(competition)).content.decode()
    assert "No rounds yet" in html
    assert "Create the default rounds (初评, 复评, 终评)" in html
    assert f'action="{defaults_url(competition)}"' in html
    assert f'href="{create_url(competition)}"' in html
    assert f'href="{reverse("judging:conflicts", args=[competition.slug])}"' in html
    assert f'href="{reverse("judging:ledger", args=[competition.slug])}"' in html


def test_list_shows_rounds_in_order_with_state_window_and_counts(alice_client, competition, unit, alice):
    now = timezone.now()
    later = RoundFactory(
        competition=competition,
        position=2,
        kind="semi_final",
        name_zh="复评",
        name_en="Semi-final",
        opens_at=datetime(2030, 1, 1, 1, 0, tzinfo=UTC),
        closes_at=datetime(2030, 1, 2, 1, 0, tzinfo=UTC),
    )
    first = RoundFactory(competition=competition, position=1, opens_at=now - timedelta(days=1))
    RoundFactory(
        competition=competition,
        position=3,
        kind="final",
        name_zh="终评",
        name_en="Final",
        opens_at=now - timedelta(days=5),
        closes_at=now - timedelta(days=1),
    )
    RubricFactory(round=first)
    judges = [PanelMembershipFactory(round=first).judge for _ in range(2)]
    PanelMembershipFactory(round=first, active=False)  # dropped out: not counted
    entries = [eligible_entry(unit) for _ in range(3)]
    for entry in entries:
        RoundEntry.objects.create(round=first, entry=entry)
        for judge in judges:
            AssignmentFactory(round=first, entry=entry, judge=judge)
    score(first, entries[0], judges[0])
    score(first, entries[1], judges[0], status=ScoreStatus.DRAFT)  # drafts are not submitted scores

    html = alice_client.get(list_url(competition)).content.decode()
    rows = re.findall(r'<tr data-round="(\d+)">(.*?)</tr>', html, re.S)
    assert [int(pk) for pk, _ in rows] == [first.pk, later.pk, Round.objects.get(position=3).pk]
    first_row = rows[0][1]
    assert "Open for scoring" in first_row
    cells = re.findall(r'<td class="num"><a[^>]*>(\d+)</a></td>', first_row)
    assert cells == ["3", "2", "6", "1"]  # entries, judges, assignments, submitted scores
    assert "Not open yet" in rows[1][1] and "Closed" in rows[2][1]
    # The window is shown in the competition's time zone (Shanghai, UTC+8).
    assert "2030-01-01 09:00" in rows[1][1] and "2030-01-02 09:00" in rows[1][1]
    assert reverse("judging:round_detail", args=[competition.slug, later.pk]) in rows[1][1]
    assert "No rounds yet" not in html


def test_list_escapes_round_names(alice_client, competition):
    RoundFactory(competition=competition, name_zh="<script>alert(1)</script>", name_en="")
    html = alice_client.get(list_url(competition)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_list_query_count_is_flat(alice_client, competition, unit):
    def add_rounds(count):
        for _ in range(count):
            round = RoundFactory(competition=competition, position=Round.objects.count() + 1, name_en="Listed round")
            membership = PanelMembershipFactory(round=round)
            entry = eligible_entry(unit)
            RoundEntry.objects.create(round=round, entry=entry)
            AssignmentFactory(round=round, entry=entry, judge=membership.judge)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(list_url(competition))
        assert response.status_code == 200
        return len(queries), response.content.decode().count("Listed round")

    alice_client.get(list_url(competition))
    add_rounds(1)
    first, shown = measure()
    assert shown == 1
    add_rounds(9)
    second, shown = measure()
    assert shown == 10
    assert first == second


# --- Default rounds ------------------------------------------------------------------------------------------


def test_default_rounds_are_created(alice_client, competition, alice):
    response = alice_client.post(defaults_url(competition))
    assert response["Location"] == list_url(competition)
    rounds = list(Round.objects.filter(competition=competition).order_by("position"))
    assert [round.kind for round in rounds] == ["preliminary", "semi_final", "final"]
    assert [round.name_zh for round in rounds] == ["初评", "复评", "终评"]
    html = alice_client.get(response["Location"]).content.decode()
    assert "3 rounds have been created" in html
    assert html.count("<tr data-round=") == 3


def test_default_rounds_are_refused_when_rounds_exist(alice_client, competition, judging_round):
    response = alice_client.post(defaults_url(competition), follow=True)
    assert response.status_code == 200
    assert Round.objects.filter(competition=competition).count() == 1
    assert any(message.level_tag == "error" for message in response.context["messages"])


def test_default_rounds_need_post(alice_client, competition):
    assert alice_client.get(defaults_url(competition)).status_code == 405
    assert not Round.objects.exists()


# --- Create and edit -----------------------------------------------------------------------------------------


def test_create_form_suggests_the_next_round(alice_client, competition, judging_round):
    html = alice_client.get(create_url(competition)).content.decode()
    assert input_value(html, "name_zh") == "复评"
    assert re.search(r'<option value="semi_final" selected>', html)


def test_create_a_round_with_window_in_the_competitions_zone(alice_client, competition, alice):
    street = UnitFactory(competition=competition, name_zh="街头巷尾")
    UnitFactory(competition=competition, name_zh="科技奇境")
    response = alice_client.post(
        create_url(competition), round_data(units=[str(street.pk)], live_final="on", required_watch_share="50")
    )
    round = Round.objects.get(competition=competition)
    assert response.status_code == 302
    assert response["Location"] == detail_url(round)
    assert (round.kind, round.name_zh, round.name_en) == ("preliminary", "初评", "Preliminary round")
    # 09:00 and 18:00 in Shanghai.
    assert round.opens_at == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    assert round.closes_at == datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    assert list(round.units.all()) == [street]
    assert (round.judges_per_entry, round.blind, round.required_watch_share, round.live_final) == (3, True, 50, True)
    assert (round.peer_scores, round.share_feedback) == ("never", False)
    assert ActionLog.objects.filter(competition=competition, action=LoggedAction.ROUND_CREATED).exists()
    # Shown back as typed.
    html = alice_client.get(edit_url(round)).content.decode()
    assert input_value(html, "opens_at") == "2026-07-01T09:00"
    assert input_value(html, "closes_at") == "2026-07-15T18:00"


def test_window_in_another_zone(alice_client, competition):
    competition.timezone = "America/New_York"
    competition.save()
    alice_client.post(create_url(competition), round_data())
    assert Round.objects.get(competition=competition).opens_at == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def test_window_that_closes_before_it_opens_is_refused_and_typed_values_kept(alice_client, competition):
    response = alice_client.post(
        create_url(competition),
        round_data(name_zh="<b>初评</b>", opens_at="2026-07-15T09:00", closes_at="2026-07-01T09:00"),
    )
    assert response.status_code == 200
    assert field_errors(response, "closes_at") == ["Scoring must close after it opens."]
    html = response.content.decode()
    assert "Scoring must close after it opens." in html
    assert input_value(html, "name_zh") == "<b>初评</b>"
    assert "<b>初评</b>" not in html
    assert input_value(html, "opens_at") == "2026-07-15T09:00"
    assert input_value(html, "closes_at") == "2026-07-01T09:00"
    assert not Round.objects.exists()


def test_watch_share_above_100_is_refused(alice_client, competition):
    response = alice_client.post(create_url(competition), round_data(required_watch_share="101"))
    assert response.status_code == 200
    assert field_errors(response, "required_watch_share")
    assert input_value(response.content.decode(), "required_watch_share") == "101"
    assert not Round.objects.exists()


@pytest.mark.parametrize("value", ["0", "51", "abc"])
def test_judges_per_entry_out_of_range_is_refused(alice_client, competition, value):
    response = alice_client.post(create_url(competition), round_data(judges_per_entry=value))
    assert response.status_code == 200
    assert field_errors(response, "judges_per_entry")
    assert not Round.objects.exists()


def test_a_unit_of_another_competition_is_refused(alice_client, competition):
    foreign = UnitFactory(competition=CompetitionFactory(slug="elsewhere"))
    response = alice_client.post(create_url(competition), round_data(units=[str(foreign.pk)]))
    assert response.status_code == 200
    assert field_errors(response, "units")
    assert not Round.objects.exists()


def test_edit_a_round(alice_client, competition, judging_round, alice):
    unit = UnitFactory(competition=competition)
    response = alice_client.post(
        edit_url(judging_round),
        round_data(
            name_zh="初评（修订）",
            judges_per_entry="5",
            blind=None,
            peer_scores="after_own",
            share_feedback="on",
            units=[str(unit.pk)],
        ),
    )
    assert response["Location"] == detail_url(judging_round)
    judging_round.refresh_from_db()
    assert (judging_round.name_zh, judging_round.judges_per_entry, judging_round.blind) == ("初评（修订）", 5, False)
    assert (judging_round.peer_scores, judging_round.share_feedback) == ("after_own", True)
    assert list(judging_round.units.all()) == [unit]
    assert judging_round.opens_at == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    log = ActionLog.objects.get(competition=competition, action=LoggedAction.ROUND_CHANGED)
    assert log.actor == alice


def test_edit_with_errors_keeps_the_header_and_the_round(alice_client, competition, judging_round):
    response = alice_client.post(edit_url(judging_round), round_data(name_zh="新名字", required_watch_share="250"))
    assert response.status_code == 200
    html = response.content.decode()
    assert input_value(html, "name_zh") == "新名字"
    assert "<h2>Preliminary round" in html  # the header still shows the saved round
    judging_round.refresh_from_db()
    assert (judging_round.name_zh, judging_round.required_watch_share) == ("初评", 0)


# --- Overview ------------------------------------------------------------------------------------------------


def test_overview_of_a_new_round_says_what_to_do_next(alice_client, competition, judging_round):
    html = alice_client.get(detail_url(judging_round)).content.decode()
    assert 'data-hint="populate"' in html and 'data-hint="invite"' in html and 'data-hint="assign"' not in html
    assert reverse("judging:round_populate", args=[competition.slug, judging_round.pk]) in html
    assert reverse("judging:panel", args=[competition.slug, judging_round.pk]) in html
    for name in ("round_entries", "assignments", "progress", "round_edit"):
        assert reverse(f"judging:{name}", args=[competition.slug, judging_round.pk]) in html
    for kind in ("work", "story"):
        assert reverse("judging:rubric_edit", args=[competition.slug, judging_round.pk, kind]) in html
    assert reverse("judging:live_console", args=[competition.slug, judging_round.pk]) not in html


def test_overview_shows_settings_counts_rubrics_and_the_assignment_hint(alice_client, competition, unit, judging_round):
    judging_round.live_final = True
    judging_round.required_watch_share = 80
    judging_round.save()
    judging_round.units.add(unit)
    judges = [PanelMembershipFactory(round=judging_round).judge for _ in range(2)]
    entries = [eligible_entry(unit) for _ in range(2)]
    for entry in entries:
        RoundEntry.objects.create(round=judging_round, entry=entry)
    for judge in judges:
        AssignmentFactory(round=judging_round, entry=entries[0], judge=judge)
    rubric = judging_round.rubrics.get()
    rubric.frozen_at = datetime(2026, 7, 2, 2, 30, tzinfo=UTC)
    rubric.save()
    score(judging_round, entries[0], judges[0])

    response = alice_client.get(detail_url(judging_round))
    html = response.content.decode()
    assert response.context["counts"] == {
        "entries": 2,
        "judges": 2,
        "pending_invitations": 0,
        "assignments": 2,
        "submitted": 1,
        "drafts": 0,
        "short": 2,
    }
    # Both entries have fewer than 3 judges.
    assert 'data-hint="assign"' in html and "2 entries have fewer than 3 judges." in html
    assert 'data-hint="populate"' not in html and 'data-hint="invite"' not in html
    assert "80%" in html and unit.name_en in html
    assert "Frozen" in html and "first score at 2026-07-02 10:30" in html  # Shanghai time
    assert "Sum of weights: 100" in html
    assert reverse("judging:live_console", args=[competition.slug, judging_round.pk]) in html


def test_overview_escapes_names(alice_client, competition, judging_round, unit):
    judging_round.name_zh = "<script>alert('round')</script>"
    judging_round.name_en = ""
    judging_round.save()
    unit.name_zh, unit.name_en = "<img src=x onerror=alert(1)>", ""
    unit.save()
    judging_round.units.add(unit)
    html = alice_client.get(detail_url(judging_round)).content.decode()
    assert "<script>alert('round')</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_a_judge_on_the_panel_still_cannot_see_the_organizer_pages(client, bob_membership, judging_round):
    client.force_login(bob_membership.judge)
    assert client.get(detail_url(judging_round)).status_code == 404
    other_organizer = UserFactory()
    client.force_login(other_organizer)
    assert client.get(detail_url(judging_round)).status_code == 404
