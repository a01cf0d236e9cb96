"""The organizer's assignment page of a round: coverage, automatic and manual assignment, removal."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging.models import Assignment, Conflict, ConflictSource, PanelMembership, RoundEntry, Score, ScoreStatus
from portal.models import ActionLog, LoggedAction
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    EntryFactory,
    PanelMembershipFactory,
    RoundFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
)


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name, round, *args, query=""):
    target = reverse(f"judging:{name}", args=[round.competition.slug, round.pk, *args])
    return f"{target}?{query}" if query else target


@pytest.fixture
def client(alice):
    return english_client(alice)


def add_entries(round, unit, count, **kwargs):
    entries = []
    for _ in range(count):
        entry = EntryFactory(unit=unit, **kwargs)
        entry.number = f"LCP2026-{entry.pk:04d}"
        entry.sequence = entry.pk
        entry.save(update_fields=["number", "sequence"])
        RoundEntry.objects.create(round=round, entry=entry)
        entries.append(entry)
    return entries


def add_judges(round, count):
    return [PanelMembershipFactory(round=round).judge for _ in range(count)]


def all_requests(round, assignment):
    return [
        ("get", url("assignments", round), None),
        ("post", url("assign_auto", round), {"seed": "1"}),
        ("post", url("assign_add", round), {"entry": assignment.entry_id, "judge": assignment.judge_id}),
        ("post", url("assign_remove", round, assignment.pk), {}),
    ]


def send(client, method, target, data):
    return client.post(target, data) if method == "post" else client.get(target)


# --- Access -----------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(judging_round, assignment):
    client = english_client()
    for method, target, data in all_requests(judging_round, assignment):
        response = send(client, method, target, data)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("account_login"))
    assert list(Assignment.objects.all()) == [assignment]


@pytest.mark.parametrize("who", ["charlie", "bob", "dave"])
def test_entrants_judges_and_other_organizers_get_404(request, judging_round, assignment, who):
    client = english_client(request.getfixturevalue(who))
    for method, target, data in all_requests(judging_round, assignment):
        response = send(client, method, target, data)
        assert response.status_code == 404, (who, target)
        assert assignment.entry.title.encode() not in response.content
    assert list(Assignment.objects.all()) == [assignment]
    assert not ActionLog.objects.filter(action=LoggedAction.ASSIGNMENTS_CHANGED).exists()


def test_a_round_of_another_competition_is_404_under_the_organizers_slug(client, competition):
    foreign = RoundFactory(competition=CompetitionFactory(slug="elsewhere"))
    for name in ("assignments", "assign_auto", "assign_add"):
        target = reverse(f"judging:{name}", args=[competition.slug, foreign.pk])
        assert client.post(target, {"seed": "1"}).status_code == 404


def test_actions_are_post_only(client, judging_round, assignment):
    for target in (
        url("assign_auto", judging_round),
        url("assign_add", judging_round),
        url("assign_remove", judging_round, assignment.pk),
    ):
        assert client.get(target).status_code == 405


# --- Coverage -----------------------------------------------------------------------------------------------------


def test_coverage_lists_entries_with_their_judges_and_marks_short_ones(
    client, judging_round, assignment, entrant_entry, erin, unit, competition
):
    AssignmentFactory(round=judging_round, entry=entrant_entry, judge=erin)
    Score.objects.create(
        round=judging_round,
        entry=entrant_entry,
        judge=erin,
        rubric=judging_round.rubrics.get(),
        status=ScoreStatus.SUBMITTED,
    )
    second_unit = UnitFactory(competition=competition, name_en="Chinese Culture")
    (bare,) = add_entries(judging_round, second_unit, 1)

    response = client.get(url("assignments", judging_round))
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f'data-entry="{entrant_entry.pk}"') :]
    row = row[: row.index("</tr>")]
    assert entrant_entry.number in row and entrant_entry.title in row and "Street Life" in row
    assert "Bob" in row and "Erin" in row
    assert "2 / 3" in row and "is-short" in html
    assert '<td class="num">1</td>' in row  # one submitted score
    # Erin has scored, so her assignment cannot be removed; Bob's can.
    assert url("assign_remove", judging_round, assignment.pk) in row
    erin_assignment = Assignment.objects.get(judge=erin)
    assert url("assign_remove", judging_round, erin_assignment.pk) not in row
    bare_row = html[html.index(f'data-entry="{bare.pk}"') :]
    assert "nobody yet" in bare_row[: bare_row.index("</tr>")]
    # Summary: 2 entries, none covered (3 judges each are needed), 2 judges, loads 1–1.
    assert '<span class="figure">2</span><span class="label">entries</span>' in html
    assert '<span class="figure">2</span><span class="label">short of judges</span>' in html
    assert '<span class="figure">1–1</span>' in html
    assert 'href="' + url("assignments", judging_round) + '" aria-current="page"' in html


def test_a_dropped_judge_is_shown_but_does_not_count(client, judging_round, assignment, bob_membership):
    bob_membership.active = False
    bob_membership.save()
    html = client.get(url("assignments", judging_round)).content.decode()
    assert "is-void" in html and "0 / 3" in html


def test_filters_by_unit_and_short(client, judging_round, unit, competition):
    judging_round.judges_per_entry = 1
    judging_round.save()
    second_unit = UnitFactory(competition=competition, name_en="Chinese Culture")
    covered, short = add_entries(judging_round, unit, 2)
    (other,) = add_entries(judging_round, second_unit, 1)
    AssignmentFactory(round=judging_round, entry=covered, judge=add_judges(judging_round, 1)[0])

    def shown(query):
        html = client.get(url("assignments", judging_round, query=query)).content.decode()
        return {entry.pk for entry in (covered, short, other) if f'data-entry="{entry.pk}"' in html}

    assert shown("") == {covered.pk, short.pk, other.pk}
    assert shown(f"unit={unit.pk}") == {covered.pk, short.pk}
    assert shown("short=on") == {short.pk, other.pk}
    assert shown(f"short=on&unit={second_unit.pk}") == {other.pk}
    foreign_unit = UnitFactory(competition=CompetitionFactory())
    for forged in ("unit=abc", f"unit={foreign_unit.pk}", "short=false"):  # ignored, never an error page
        assert shown(forged) == {covered.pk, short.pk, other.pk}


def test_pagination_at_50(client, judging_round, unit):
    add_entries(judging_round, unit, 51)
    first = client.get(url("assignments", judging_round)).content.decode()
    second = client.get(url("assignments", judging_round, query="page=2")).content.decode()
    assert first.count("data-entry=") == 50 and second.count("data-entry=") == 1
    assert "Page 1 of 2" in first


def test_query_count_is_flat_as_entries_grow(client, judging_round, unit):
    judges = add_judges(judging_round, 3)

    def add(count):
        for entry in add_entries(judging_round, unit, count):
            for judge in judges:
                AssignmentFactory(round=judging_round, entry=entry, judge=judge)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("assignments", judging_round))
        assert response.status_code == 200
        return len(queries)

    add(1)
    one = count()
    add(19)
    assert count() == one


def test_the_add_form_offers_only_this_rounds_entries_and_active_panel(
    client, judging_round, assignment, erin, competition, unit
):
    outsider = eligible_entry(unit, title="不在本轮")
    dropped = PanelMembershipFactory(round=judging_round, active=False, judge=UserFactory(display_name="离开者"))
    html = client.get(url("assignments", judging_round, query=f"add_entry={assignment.entry_id}")).content.decode()
    form = html[html.index('id="assign-add"') :]
    form = form[: form.index("</form>")]
    entry_select, judge_select = form.split('name="judge"')
    assert f'value="{assignment.entry_id}" selected' in entry_select
    assert "不在本轮" not in entry_select and f'value="{outsider.pk}"' not in entry_select
    assert "Erin" in judge_select and "离开者" not in judge_select and f'value="{dropped.judge_id}"' not in judge_select


# --- Automatic assignment -----------------------------------------------------------------------------------------


def test_automatic_assignment_fills_every_entry(client, judging_round, unit):
    judging_round.judges_per_entry = 2
    judging_round.save()
    entries = add_entries(judging_round, unit, 3)
    add_judges(judging_round, 3)
    html = client.get(url("assignments", judging_round)).content.decode()
    assert 'name="seed" value="1"' in html

    response = client.post(url("assign_auto", judging_round), {"seed": "7"}, follow=True)
    assert Assignment.objects.filter(round=judging_round).count() == 6
    for entry in entries:
        assert Assignment.objects.filter(round=judging_round, entry=entry).count() == 2
    html = response.content.decode()
    assert "6 assignments created, 0 removed, 0 kept" in html
    assert "Every entry has its judges." in html
    assert ActionLog.objects.get(action=LoggedAction.ASSIGNMENTS_CHANGED).data["seed"] == 7

    response = client.post(url("assign_auto", judging_round), {"seed": "7"}, follow=True)
    assert "0 assignments created, 0 removed, 6 kept" in response.content.decode()


def test_automatic_assignment_reports_entries_short_of_judges(client, judging_round, unit):
    add_entries(judging_round, unit, 2)
    add_judges(judging_round, 2)  # 3 judges per entry are needed
    response = client.post(url("assign_auto", judging_round), {"seed": "1"}, follow=True)
    html = response.content.decode()
    assert "4 assignments created" in html
    assert "2 entries are still short of judges (2 missing)" in html


def test_a_bad_seed_changes_nothing(client, judging_round, unit):
    add_entries(judging_round, unit, 1)
    add_judges(judging_round, 3)
    for seed in ("", "-1", "abc"):
        response = client.post(url("assign_auto", judging_round), {"seed": seed}, follow=True)
        assert "The seed must be a whole number" in response.content.decode()
    assert not Assignment.objects.exists()


def test_rerunning_after_a_drop_out_moves_only_that_judges_unscored_entries(client, judging_round, unit):
    judging_round.judges_per_entry = 1
    judging_round.save()
    add_entries(judging_round, unit, 4)
    add_judges(judging_round, 3)
    client.post(url("assign_auto", judging_round), {"seed": "1"})
    before = dict(Assignment.objects.values_list("entry_id", "judge_id"))
    leaving = PanelMembership.objects.filter(round=judging_round).first()
    client.post(url("panel_drop", judging_round, leaving.pk), {"reason": "病了"})
    response = client.post(url("assign_auto", judging_round), {"seed": "1"}, follow=True)
    after = dict(Assignment.objects.values_list("entry_id", "judge_id"))
    assert leaving.judge_id not in after.values()
    moved = {entry for entry in before if before[entry] != after[entry]}
    assert moved == {entry for entry, judge in before.items() if judge == leaving.judge_id}
    assert f"{len(moved)} removed" in response.content.decode()


# --- Manual assignment ----------------------------------------------------------------------------------------------


def test_assigning_by_hand(client, judging_round, assignment, erin, entrant_entry):
    response = client.post(url("assign_add", judging_round), {"entry": entrant_entry.pk, "judge": erin.pk}, follow=True)
    new = Assignment.objects.get(round=judging_round, entry=entrant_entry, judge=erin)
    assert new.method == "manual"
    assert "Erin now judges" in response.content.decode()


def test_assigning_twice_is_refused_with_a_message(client, judging_round, assignment, bob, entrant_entry):
    response = client.post(url("assign_add", judging_round), {"entry": entrant_entry.pk, "judge": bob.pk}, follow=True)
    assert "already assigned" in response.content.decode()
    assert Assignment.objects.count() == 1


def test_a_conflicted_judge_is_refused(client, judging_round, assignment, erin, entrant_entry, competition):
    Conflict.objects.create(
        competition=competition, judge=erin, entry=entrant_entry, source=ConflictSource.DETECTED, basis="b"
    )
    response = client.post(url("assign_add", judging_round), {"entry": entrant_entry.pk, "judge": erin.pk}, follow=True)
    assert "conflict of interest" in response.content.decode()
    assert not Assignment.objects.filter(judge=erin).exists()


def test_forged_entries_and_judges_are_refused(client, judging_round, assignment, erin, unit, charlie, competition):
    other_competition = CompetitionFactory(slug="elsewhere")
    foreign_entry = eligible_entry(UnitFactory(competition=other_competition))
    not_in_round = eligible_entry(unit)
    foreign_judge = PanelMembershipFactory(round=RoundFactory(competition=competition, position=2)).judge
    for data in (
        {"entry": foreign_entry.pk, "judge": erin.pk},
        {"entry": not_in_round.pk, "judge": erin.pk},
        {"entry": assignment.entry_id, "judge": charlie.pk},
        {"entry": assignment.entry_id, "judge": foreign_judge.pk},
        {"entry": "1 OR 1=1", "judge": "<script>"},
        {},
    ):
        response = client.post(url("assign_add", judging_round), data, follow=True)
        assert response.status_code == 200
        assert "Choose an entry of this round and a judge on its panel" in response.content.decode()
    assert list(Assignment.objects.all()) == [assignment]


# --- Removal ------------------------------------------------------------------------------------------------------


def test_removing_an_assignment(client, judging_round, assignment):
    response = client.post(url("assign_remove", judging_round, assignment.pk), follow=True)
    assert not Assignment.objects.exists()
    assert "no longer judges" in response.content.decode()


def test_an_assignment_with_a_score_stays(client, judging_round, assignment):
    Score.objects.create(
        round=judging_round, entry=assignment.entry, judge=assignment.judge, rubric=judging_round.rubrics.get()
    )
    response = client.post(url("assign_remove", judging_round, assignment.pk), follow=True)
    assert "already scored this entry" in response.content.decode()
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_an_assignment_of_another_round_is_404(client, judging_round, competition, unit):
    other_round = RoundFactory(competition=competition, position=2)
    foreign = AssignmentFactory(round=other_round, entry__unit=unit)
    assert client.post(url("assign_remove", judging_round, foreign.pk)).status_code == 404
    assert Assignment.objects.filter(pk=foreign.pk).exists()
