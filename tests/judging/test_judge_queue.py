"""A round's queue for one judge: active assignments with status and total, progress, filters, pagination,
the next unscored entry, and 404 for everyone not on the panel."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from judging.models import ScoreStatus
from tests.factories import AssignmentFactory, PanelMembershipFactory, eligible_entry
from tests.judging.judge_support import (
    client_for,
    conflict,
    entry_url,
    make_score,
    other_competition_judge,
    other_round_judge,
    queue_url,
    second_unit,
)


@pytest.fixture
def three(assignment, bob, unit, competition):
    """Bob's three entries in the round: charlie's (unit 1), a second in unit 1, a third in another unit."""
    second = AssignmentFactory(
        round=assignment.round, entry=eligible_entry(unit, title="第二部", title_en="Second Work"), judge=bob
    )
    third = AssignmentFactory(
        round=assignment.round,
        entry=eligible_entry(second_unit(competition), title="第三部", title_en="Third Work"),
        judge=bob,
    )
    return [assignment, second, third]


# ------------------------------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_sign_in(judging_round):
    response = client_for().get(queue_url(judging_round))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_outsiders_get_404(assignment, judging_round, charlie, dave, competition):
    frank = other_round_judge(competition).judge
    gina = other_competition_judge().judge
    for user in (charlie, dave, frank, gina):
        assert client_for(user).get(queue_url(judging_round)).status_code == 404, user


def test_a_dropped_judge_or_one_without_accepted_terms_gets_404(assignment, bob_membership, bob, judging_round):
    bob_membership.active = False
    bob_membership.save()
    assert client_for(bob).get(queue_url(judging_round)).status_code == 404
    bob_membership.active = True
    bob_membership.terms_accepted_at = None
    bob_membership.save()
    assert client_for(bob).get(queue_url(judging_round)).status_code == 404


def test_a_panel_judge_with_nothing_assigned_sees_the_empty_state(assignment, erin, judging_round):
    response = client_for(erin).get(queue_url(judging_round))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing is assigned to you in this round yet" in html
    assert assignment.entry.number not in html


# ------------------------------------------------------------------------------------------------- content


def test_rows_show_number_title_unit_track_status_and_total(three, bob, judging_round):
    first, second, third = three
    make_score(first, values={"story": Decimal("7.5"), "craft": Decimal("9.5")})  # total 83
    make_score(second, status=ScoreStatus.DRAFT)
    html = client_for(bob).get(queue_url(judging_round)).content.decode()
    for assignment in three:
        assert assignment.entry.number in html
        assert entry_url(assignment) in html
    assert "Second Work" in html and "Third Work" in html
    assert "Street Life" in html and "Sci-Tech Wonder" in html and "Finished work" in html
    assert "83.0" in html
    assert "judge-status-submitted" in html and "judge-status-draft" in html and "judge-status-not_started" in html
    assert "1 / 3" in html
    assert 'value="33"' in html
    # Next unscored: the draft (second) comes before the third in entry order.
    assert f'href="{entry_url(second)}">Next unscored entry' in html.replace("\n", "")


def test_no_identifying_detail_and_only_own_active_assignments(three, bob, erin, judging_round, charlie):
    first, second, third = three
    AssignmentFactory(round=judging_round, entry=eligible_entry(first.entry.unit, title_en="Erin Only"), judge=erin)
    conflict(bob, third.entry)
    html = client_for(bob).get(queue_url(judging_round)).content.decode()
    assert "Erin Only" not in html
    assert third.entry.number not in html and "Third Work" not in html
    assert "1 / 3" not in html and "0 / 2" in html
    assert charlie.display_name not in html and charlie.email not in html and "林导演" not in html


def test_filter_by_unit_and_status(three, bob, judging_round):
    first, second, third = three
    make_score(first)
    client = client_for(bob)
    url = queue_url(judging_round)
    html = client.get(url, {"unit": third.entry.unit_id}).content.decode()
    assert "Third Work" in html and "Second Work" not in html and first.entry.number not in html
    html = client.get(url, {"status": "submitted"}).content.decode()
    assert first.entry.number in html and "Second Work" not in html and "Third Work" not in html
    html = client.get(url, {"status": "not_started"}).content.decode()
    assert first.entry.number not in html and "Second Work" in html and "Third Work" in html
    html = client.get(url, {"status": "not_started", "unit": first.entry.unit_id}).content.decode()
    assert "Second Work" in html and "Third Work" not in html
    html = client.get(url, {"status": "draft"}).content.decode()
    assert "No entry matches these filters" in html
    # Nonsense filters are ignored rather than failing.
    response = client.get(url, {"status": "<script>", "unit": "abc", "page": "zzz"})
    assert response.status_code == 200 and "Third Work" in response.content.decode()
    # A unit of another competition is not a filter either.
    html = client.get(url, {"unit": "999999"}).content.decode()
    assert "Third Work" in html and "Second Work" in html


def test_pagination_keeps_the_filters(three, bob, judging_round, monkeypatch):
    monkeypatch.setattr("judging.views.judge.PAGE_SIZE", 1)
    client = client_for(bob)
    unit_id = three[0].entry.unit_id
    html = client.get(queue_url(judging_round), {"unit": unit_id}).content.decode()
    assert "Page 1 of 2" in html
    assert f"unit={unit_id}&amp;page=2" in html
    html = client.get(queue_url(judging_round), {"unit": unit_id, "page": 2}).content.decode()
    assert "Second Work" in html and three[0].entry.number not in html


def test_everything_submitted_means_no_next_button(assignment, bob, judging_round):
    make_score(assignment)
    html = client_for(bob).get(queue_url(judging_round)).content.decode()
    assert "Next unscored entry" not in html and "Every score is submitted" in html


def test_window_and_live_final_link(assignment, bob, judging_round):
    html = client_for(bob).get(queue_url(judging_round)).content.decode()
    assert "Scoring closes" in html and "Asia/Shanghai" in html
    assert reverse("judging:live", args=[judging_round.pk]) not in html
    judging_round.live_final = True
    judging_round.save()
    html = client_for(bob).get(queue_url(judging_round)).content.decode()
    assert reverse("judging:live", args=[judging_round.pk]) in html


def test_titles_are_escaped(assignment, bob, judging_round):
    entry = assignment.entry
    entry.title_en = "<script>alert(1)</script>"
    entry.save()
    html = client_for(bob).get(queue_url(judging_round)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_is_flat_from_1_to_20_assignments(assignment, bob, judging_round, unit, competition):
    client = client_for(bob)
    url = queue_url(judging_round)
    client.get(url)
    one = _count(client, url)
    other = second_unit(competition)
    for index in range(19):
        extra = AssignmentFactory(round=judging_round, entry=eligible_entry(unit if index % 2 else other), judge=bob)
        if index % 3 == 0:
            make_score(extra, status=ScoreStatus.SUBMITTED if index % 2 else ScoreStatus.DRAFT)
    PanelMembershipFactory(round=judging_round)  # another judge changes nothing either
    assert _count(client, url) == one
