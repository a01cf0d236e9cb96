"""The live final: the organizer's console (pick the entry on stage, watch who has scored, reveal the result once
all are in) and the judges' phone page. No score ever reaches a page before the reveal."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from judging.models import CriterionScore, RoundEntry, Score, ScoreStatus
from portal.models import LoggedAction
from tests.factories import (
    AssignmentFactory,
    PanelMembershipFactory,
    RoundFactory,
    RubricFactory,
    UserFactory,
    eligible_entry,
)

# Scores no page may show before the reveal: criterion values and weighted totals.
BOB_VALUES = {"story": Decimal("7.5"), "craft": Decimal("9.5")}  # total 0.6*75 + 0.4*95 = 83
ERIN_VALUES = {"story": Decimal("6.5"), "craft": Decimal("4.5")}  # total 0.6*65 + 0.4*45 = 57


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def live_round(judging_round):
    judging_round.live_final = True
    judging_round.kind = "final"
    judging_round.save()
    return judging_round


@pytest.fixture
def stage(live_round, assignment, erin, unit):
    """Charlie's entry assigned to bob and erin, and a second entry in the round (assigned to bob only)."""
    AssignmentFactory(round=live_round, entry=assignment.entry, judge=erin)
    second = eligible_entry(unit, title="第二部作品", title_en="Second Work")
    RoundEntry.objects.create(round=live_round, entry=second)
    AssignmentFactory(round=live_round, entry=second, judge=assignment.judge)
    return {"entry": assignment.entry, "second": second}


def submit_score(round, entry, judge, values):
    rubric = round.rubrics.get()
    criteria = {criterion.key: criterion for criterion in rubric.criteria.all()}
    total = (
        sum((values[key] - c.min_score) / (c.max_score - c.min_score) * c.weight for key, c in criteria.items())
        * 100
        / sum(c.weight for c in criteria.values())
    )
    score = Score.objects.create(
        round=round,
        entry=entry,
        judge=judge,
        rubric=rubric,
        status=ScoreStatus.SUBMITTED,
        total=total,
        submitted_at=timezone.now(),
    )
    for key, value in values.items():
        CriterionScore.objects.create(score=score, criterion=criteria[key], value=value, comment="fine")
    return score


def put_on_stage(round, entry):
    round.live_entry = entry
    round.live_revealed = False
    round.save()


def console_url(round, name="judging:live_console"):
    return reverse(name, args=[round.competition.slug, round.pk])


def page(response):
    return response.content.decode()


def section(html, element_id):
    """The live panel of a page, without its CSRF tokens (random letters and digits)."""
    found = re.search(rf'<section id="{element_id}".*?</section>', html, re.S)
    assert found, element_id
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", found.group(0))


def assert_no_scores(fragment):
    """None of the criterion values, totals or means of BOB_VALUES and ERIN_VALUES."""
    for pattern in (r"7\.5", r"9\.5", r"6\.5", r"4\.5", r"\b83\b", r"\b57\b", r"\b70\b", r"\b7\.0", r"\b7,0"):
        assert not re.search(pattern, fragment), pattern


# --- Who gets in ---------------------------------------------------------------------------------------------

ORGANIZER_GETS = ["judging:live_console", "judging:live_status"]
ORGANIZER_POSTS = ["judging:live_select", "judging:live_reveal"]


def test_anonymous_is_sent_to_sign_in(client, live_round):
    for name in ORGANIZER_GETS + ORGANIZER_POSTS:
        response = (
            client.post(console_url(live_round, name))
            if name in ORGANIZER_POSTS
            else client.get(console_url(live_round, name))
        )
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), name
    response = client.get(reverse("judging:live", args=[live_round.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["bob", "charlie", "dave"])
def test_only_the_competitions_organizers_reach_the_console(request, client, live_round, stage, who):
    client.force_login(request.getfixturevalue(who))
    for name in ORGANIZER_GETS:
        assert client.get(console_url(live_round, name)).status_code == 404, name
    response = client.post(console_url(live_round, "judging:live_select"), {"entry": stage["entry"].pk})
    assert response.status_code == 404
    assert client.post(console_url(live_round, "judging:live_reveal")).status_code == 404
    live_round.refresh_from_db()
    assert live_round.live_entry is None and not live_round.live_revealed


@pytest.mark.parametrize("who", ["alice", "charlie", "dave"])
def test_only_the_panel_reaches_the_judges_page(request, client, live_round, stage, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("judging:live", args=[live_round.pk])).status_code == 404


def test_a_judge_of_another_round_gets_404(client, live_round, competition):
    other = RoundFactory(competition=competition, position=2, live_final=True)
    outsider = PanelMembershipFactory(round=other, judge=UserFactory()).judge
    client.force_login(outsider)
    assert client.get(reverse("judging:live", args=[live_round.pk])).status_code == 404


def test_rounds_that_are_not_live_finals_have_no_live_pages(client, judging_round, alice, bob_membership):
    client.force_login(alice)
    for name in ORGANIZER_GETS:
        assert client.get(console_url(judging_round, name)).status_code == 404
    for name in ORGANIZER_POSTS:
        assert client.post(console_url(judging_round, name)).status_code == 404
    client.force_login(bob_membership.judge)
    assert client.get(reverse("judging:live", args=[judging_round.pk])).status_code == 404


def test_the_console_needs_mfa_when_required(client, live_round, alice, settings):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(alice)
    response = client.get(console_url(live_round))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


# --- The organizer's console ---------------------------------------------------------------------------------


def test_the_console_lists_the_rounds_entries_and_nothing_on_stage(client, live_round, stage, alice):
    client.force_login(alice)
    response = client.get(console_url(live_round))
    assert response.status_code == 200
    html = page(response)
    assert stage["entry"].number in html and stage["second"].number in html and "Second Work" in html
    assert "No entry on stage" in html
    assert f'hx-get="{console_url(live_round, "judging:live_status")}"' in html and 'hx-trigger="every 3s"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (strict CSP)


def test_picking_the_entry_on_stage(client, live_round, stage, alice):
    client.force_login(alice)
    response = client.post(console_url(live_round, "judging:live_select"), {"entry": stage["second"].pk})
    assert response.status_code == 302 and response["Location"] == console_url(live_round)
    live_round.refresh_from_db()
    assert live_round.live_entry == stage["second"] and not live_round.live_revealed
    logged = live_round.competition.log.get(action=LoggedAction.LIVE_CHANGED)
    assert logged.actor == alice and logged.data["entry"] == stage["second"].number
    html = page(client.get(console_url(live_round)))
    assert f"Now pitching: {stage['second'].number} Second Work." in html
    assert f'id="live-entry-{stage["second"].pk}" class="is-live"' in html


@pytest.mark.parametrize("value", ["", "abc", "-1", "999999"])
def test_an_entry_outside_the_round_cannot_be_put_on_stage(client, live_round, stage, alice, unit, value):
    client.force_login(alice)
    response = client.post(console_url(live_round, "judging:live_select"), {"entry": value})
    assert response.status_code == 404
    outside = eligible_entry(unit)  # an entry of the competition that is not in the round
    response = client.post(console_url(live_round, "judging:live_select"), {"entry": outside.pk})
    assert response.status_code == 404
    live_round.refresh_from_db()
    assert live_round.live_entry is None


def test_the_status_shows_who_has_scored_and_never_a_score(client, live_round, stage, alice, bob, erin):
    put_on_stage(live_round, stage["entry"])
    submit_score(live_round, stage["entry"], bob, BOB_VALUES)
    client.force_login(alice)
    for response in (client.get(console_url(live_round, "judging:live_status")), client.get(console_url(live_round))):
        html = section(page(response), "live-status")
        assert "Bob" in html and "Erin" in html
        assert "scored ✓" in html and "waiting" in html
        assert "1 of 2 judges have scored." in html
        assert "disabled" in html.split('action="' + console_url(live_round, "judging:live_reveal"))[1][:400]
        assert_no_scores(html)
    assert "<html" not in page(client.get(console_url(live_round, "judging:live_status")))


def test_the_status_never_shows_scores_when_all_are_in_but_not_revealed(client, live_round, stage, alice, bob, erin):
    put_on_stage(live_round, stage["entry"])
    submit_score(live_round, stage["entry"], bob, BOB_VALUES)
    submit_score(live_round, stage["entry"], erin, ERIN_VALUES)
    client.force_login(alice)
    html = section(page(client.get(console_url(live_round, "judging:live_status"))), "live-status")
    assert "2 of 2 judges have scored." in html
    assert "disabled" not in html.split('action="' + console_url(live_round, "judging:live_reveal"))[1][:400]
    assert_no_scores(html)


def test_a_draft_does_not_count_as_scored(client, live_round, stage, alice, bob, erin):
    put_on_stage(live_round, stage["entry"])
    submit_score(live_round, stage["entry"], bob, BOB_VALUES)
    draft = submit_score(live_round, stage["entry"], erin, ERIN_VALUES)
    draft.status = ScoreStatus.DRAFT
    draft.save()
    client.force_login(alice)
    html = page(client.get(console_url(live_round, "judging:live_status")))
    assert "1 of 2 judges have scored." in html
    assert_no_scores(html)


def test_the_result_cannot_be_revealed_until_all_are_in(client, live_round, stage, alice, bob):
    put_on_stage(live_round, stage["entry"])
    submit_score(live_round, stage["entry"], bob, BOB_VALUES)
    client.force_login(alice)
    response = client.post(console_url(live_round, "judging:live_reveal"), follow=True)
    live_round.refresh_from_db()
    assert not live_round.live_revealed
    html = page(response)
    assert 'class="message message-error"' in html
    assert_no_scores(section(html, "live-status"))


def test_nothing_on_stage_cannot_be_revealed(client, live_round, stage, alice):
    client.force_login(alice)
    response = client.post(console_url(live_round, "judging:live_reveal"), follow=True)
    assert response.status_code == 200 and 'class="message message-error"' in page(response)
    live_round.refresh_from_db()
    assert not live_round.live_revealed


def test_revealing_shows_the_means_in_large_type(client, live_round, stage, alice, bob, erin):
    put_on_stage(live_round, stage["entry"])
    submit_score(live_round, stage["entry"], bob, BOB_VALUES)
    submit_score(live_round, stage["entry"], erin, ERIN_VALUES)
    client.force_login(alice)
    response = client.post(console_url(live_round, "judging:live_reveal"))
    assert response.status_code == 302
    live_round.refresh_from_db()
    assert live_round.live_revealed
    html = page(client.get(console_url(live_round, "judging:live_status")))
    assert '<p class="live-total"><span>Mean total</span> <strong>70.00</strong></p>' in html  # (83 + 57) / 2
    assert '<th scope="row">Story</th><td>7.00</td>' in html  # (7.5 + 6.5) / 2
    assert '<th scope="row">Craft</th><td>7.00</td>' in html  # (9.5 + 4.5) / 2
    assert "From 2 judges&#x27; scores." in html or "From 2 judges' scores." in html
    # The next entry on stage starts hidden again.
    client.post(console_url(live_round, "judging:live_select"), {"entry": stage["second"].pk})
    html = page(client.get(console_url(live_round, "judging:live_status")))
    assert "Mean total" not in html and "0 of 1 judges have scored." in html


# --- The judges' phone page ----------------------------------------------------------------------------------


def test_the_judge_waits_for_the_next_pitch(client, live_round, stage, bob):
    client.force_login(bob)
    response = client.get(reverse("judging:live", args=[live_round.pk]))
    assert response.status_code == 200
    html = page(response)
    assert "Waiting for the next pitch" in html
    assert f'hx-get="{reverse("judging:live", args=[live_round.pk])}"' in html and 'hx-trigger="every 3s"' in html


def test_the_judge_sees_the_entry_on_stage_and_a_way_to_score_it(client, live_round, stage, bob):
    put_on_stage(live_round, stage["entry"])
    client.force_login(bob)
    html = page(client.get(reverse("judging:live", args=[live_round.pk])))
    entry = stage["entry"]
    assert entry.number in html and entry.title_en in html and entry.unit.name in html
    assert reverse("judging:entry", args=[live_round.pk, entry.pk]) in html and "Score this entry" in html
    # Blind: the entrant is never named.
    assert "Charlie" not in html and "charlie@example.com" not in html and "林导演" not in html
    submit_score(live_round, entry, bob, BOB_VALUES)
    html = page(client.get(reverse("judging:live", args=[live_round.pk])))
    assert "Your score is in." in html and "Review your score" in html
    assert_no_scores(section(html, "live-current"))


def test_a_judge_not_assigned_to_the_entry_gets_no_score_link(client, live_round, stage, erin):
    put_on_stage(live_round, stage["second"])
    client.force_login(erin)
    html = page(client.get(reverse("judging:live", args=[live_round.pk])))
    assert "Second Work" in html and "You are not scoring this entry." in html
    assert reverse("judging:entry", args=[live_round.pk, stage["second"].pk]) not in html


def test_htmx_gets_only_the_current_entry(client, live_round, stage, bob):
    put_on_stage(live_round, stage["second"])
    client.force_login(bob)
    response = client.get(reverse("judging:live", args=[live_round.pk]), HTTP_HX_REQUEST="true")
    html = page(response)
    assert html.lstrip().startswith('<section id="live-current"') and "<html" not in html
    assert "Second Work" in html
    assert "HX-Request" in response["Vary"]


def test_the_judge_page_needs_mfa_when_required(client, live_round, bob_membership, settings):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(bob_membership.judge)
    response = client.get(reverse("judging:live", args=[live_round.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_a_story_round_entry_shows_too(client, live_round, stage, bob, unit):
    """Rubric per track: a story entry on stage is shown like any other (no crash without a story rubric)."""
    RubricFactory(round=live_round, track=live_round.competition.tracks.get(kind="story"))
    story = eligible_entry(unit, track=live_round.competition.tracks.get(kind="story"), title_en="A Story")
    RoundEntry.objects.create(round=live_round, entry=story)
    put_on_stage(live_round, story)
    client.force_login(bob)
    assert "A Story" in page(client.get(reverse("judging:live", args=[live_round.pk])))
