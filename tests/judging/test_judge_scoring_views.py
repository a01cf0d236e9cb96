"""Scoring from the entry page: draft, submit, submit-and-next, errors that keep what was typed, the closed
window (read-only, direct POST refused), a stale version from another tab, the watch share, and declaring a
conflict from the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from judging import scoring
from judging.models import Conflict, ConflictDeclaration, Criterion, Score, ScoreStatus
from tests.factories import AssignmentFactory, eligible_entry
from tests.judging.judge_support import client_for, entry_url, make_score, make_video, queue_url


@pytest.fixture
def criteria(judging_round):
    return {criterion.key: criterion for criterion in Criterion.objects.filter(rubric__round=judging_round)}


def form_data(criteria, story="7.5", craft="9", craft_comment="Well shot", comment="Overall fine", **extra):
    data = {
        f"c{criteria['story'].pk}_value": story,
        f"c{criteria['story'].pk}_comment": "",
        f"c{criteria['craft'].pk}_value": craft,
        f"c{criteria['craft'].pk}_comment": craft_comment,
        "comment": comment,
        "version": "0",
        "action": "draft",
    }
    data.update(extra)
    return data


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def test_save_a_draft(assignment, bob, criteria):
    client = client_for(bob)
    response = client.post(entry_url(assignment), form_data(criteria, craft=""))
    assert response.status_code == 302 and response["Location"] == entry_url(assignment)
    score = Score.objects.get(judge=bob, entry=assignment.entry)
    assert score.status == ScoreStatus.DRAFT and score.total is None and score.comment == "Overall fine"
    values = {row.criterion.key: row.value for row in score.values.select_related("criterion")}
    assert values == {"story": Decimal("7.5"), "craft": None}
    html = client.get(entry_url(assignment)).content.decode()
    assert "Your draft for" in html and 'value="7.5"' in html and "Draft" in html


def test_submit_a_score(assignment, bob, criteria):
    client = client_for(bob)
    response = client.post(entry_url(assignment), form_data(criteria, action="submit"))
    assert response.status_code == 302
    score = Score.objects.get(judge=bob, entry=assignment.entry)
    assert score.status == ScoreStatus.SUBMITTED
    assert score.total == Decimal("81.000")  # 0.6 * 75 + 0.4 * 90
    html = client.get(entry_url(assignment)).content.decode()
    assert "is submitted" in html and "total 81.0 / 100" in html


@pytest.mark.parametrize(
    ("story", "expected"),
    [("7.3", "between 0 and 10 in steps of 0.5"), ("11", "between 0 and 10"), ("abc", "Enter a number")],
)
def test_bad_values_are_refused_and_what_was_typed_is_kept(assignment, bob, criteria, story, expected):
    data = form_data(criteria, story=story, craft_comment="My careful comment", action="submit")
    response = client_for(bob).post(entry_url(assignment), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert f'value="{story}"' in html and "My careful comment" in html and "Overall fine" in html
    assert "Nothing you typed has been lost" in html
    assert not Score.objects.exists()


def test_a_required_comment_is_needed_to_submit_but_not_for_a_draft(assignment, bob, criteria):
    client = client_for(bob)
    response = client.post(entry_url(assignment), form_data(criteria, craft_comment="", action="submit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "a comment is required" in html and 'value="7.5"' in html and 'value="9"' in html
    assert not Score.objects.exists()
    assert client.post(entry_url(assignment), form_data(criteria, craft_comment="")).status_code == 302
    assert Score.objects.get().status == ScoreStatus.DRAFT


def test_hostile_text_is_stored_as_text_and_escaped(assignment, bob, criteria):
    client = client_for(bob)
    client.post(entry_url(assignment), form_data(criteria, comment="<script>alert(1)</script>"))
    assert Score.objects.get().comment == "<script>alert(1)</script>"
    html = client.get(entry_url(assignment)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_forged_criterion_or_action_does_no_harm(assignment, bob, criteria):
    data = form_data(criteria, action="publish-everything")
    data["c999999_value"] = "10"
    response = client_for(bob).post(entry_url(assignment), data)
    assert response.status_code == 200  # an unknown action is a form error, shown on the page
    assert not Score.objects.exists()


def test_a_post_without_the_version_never_overwrites_a_score(assignment, bob, criteria):
    client = client_for(bob)
    client.post(entry_url(assignment), form_data(criteria, action="submit"))
    # An empty POST (a script, a stale page without the hidden field) would otherwise save an empty draft over it.
    for data in ({}, {k: v for k, v in form_data(criteria, story="1").items() if k != "version"}):
        response = client.post(entry_url(assignment), data)
        assert response.status_code == 200
        assert "This form is incomplete. Reload the page and enter your score again." in response.content.decode()
    score = Score.objects.get(judge=bob, entry=assignment.entry)
    assert score.status == ScoreStatus.SUBMITTED and score.total == Decimal("81.000") and score.version == 1


def test_submit_and_next_goes_to_the_next_unscored_entry(assignment, bob, criteria, unit, judging_round):
    second = AssignmentFactory(round=judging_round, entry=eligible_entry(unit), judge=bob)
    third = AssignmentFactory(round=judging_round, entry=eligible_entry(unit), judge=bob)
    make_score(second)  # already submitted: skipped
    client = client_for(bob)
    response = client.post(entry_url(assignment), form_data(criteria, action="submit_next"))
    assert response.status_code == 302 and response["Location"] == entry_url(third)
    response = client.post(entry_url(third), form_data(criteria, action="submit_next"))
    assert response.status_code == 302 and response["Location"] == queue_url(judging_round)
    assert Score.objects.filter(status=ScoreStatus.SUBMITTED).count() == 3


def test_submit_and_next_wraps_around_to_an_earlier_draft(assignment, bob, criteria, unit, judging_round):
    second = AssignmentFactory(round=judging_round, entry=eligible_entry(unit), judge=bob)
    make_score(assignment, status=ScoreStatus.DRAFT)
    response = client_for(bob).post(entry_url(second), form_data(criteria, action="submit_next"))
    assert response["Location"] == entry_url(assignment)


def test_a_failed_submit_and_next_stays_on_the_entry(assignment, bob, criteria, unit, judging_round):
    AssignmentFactory(round=judging_round, entry=eligible_entry(unit), judge=bob)
    response = client_for(bob).post(entry_url(assignment), form_data(criteria, story="", action="submit_next"))
    assert response.status_code == 200 and "give a score before submitting" in response.content.decode()


def test_a_closed_window_shows_the_form_read_only(assignment, bob, judging_round):
    make_score(assignment, comment="Final words")
    judging_round.opens_at = timezone.now() - timedelta(days=10)
    judging_round.closes_at = timezone.now() - timedelta(hours=1)
    judging_round.save()
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    closes = timezone.localtime(judging_round.closes_at, judging_round.competition.tzinfo).strftime("%Y-%m-%d %H:%M")
    assert f"Scoring closed on {closes} (Asia/Shanghai)" in html
    assert "Final words" in html
    assert "disabled" in html
    assert "Submit score" not in html and "Save draft" not in html


def test_a_direct_post_after_the_window_is_refused(assignment, bob, criteria, judging_round):
    score = make_score(assignment, values={"story": Decimal("5"), "craft": Decimal("5")})
    judging_round.opens_at = timezone.now() - timedelta(days=10)
    judging_round.closes_at = timezone.now() - timedelta(minutes=1)
    judging_round.save()
    data = form_data(criteria, story="10", craft="10", action="submit", version=str(score.version))
    response = client_for(bob).post(entry_url(assignment), data)
    assert response.status_code == 200
    assert any("Scoring closed on" in text for text in messages_of(response))
    score.refresh_from_db()
    assert score.version == 1 and score.values.get(criterion__key="story").value == Decimal("5")
    assert "Submit score" not in response.content.decode()


def test_before_the_window_opens_nothing_is_saved(assignment, bob, criteria, judging_round):
    judging_round.opens_at = timezone.now() + timedelta(days=1)
    judging_round.closes_at = timezone.now() + timedelta(days=5)
    judging_round.save()
    response = client_for(bob).post(entry_url(assignment), form_data(criteria))
    assert response.status_code == 200 and "Scoring opens on" in response.content.decode()
    assert not Score.objects.exists()


def test_a_refusal_from_the_scoring_module_is_shown_read_only(assignment, bob, criteria, monkeypatch):
    def refuse(**kwargs):
        raise scoring.ScoreRefused("This entry is no longer assigned to you, so you cannot score it.")

    monkeypatch.setattr(scoring, "save_score", refuse)
    response = client_for(bob).post(entry_url(assignment), form_data(criteria, comment="Typed text"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "no longer assigned to you" in html and "Typed text" in html and "Submit score" not in html


def test_a_stale_version_is_reported_and_the_typed_values_kept(assignment, bob, criteria):
    # Another tab saved a score after this page was opened (the form still says version 0).
    score = make_score(assignment, values={"story": Decimal("3"), "craft": Decimal("3")})
    response = client_for(bob).post(entry_url(assignment), form_data(criteria, story="9.5", version="0"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed in another window" in html
    assert 'value="9.5"' in html
    assert f'name="version" value="{score.version}"' in html  # saving again now replaces it, deliberately
    score.refresh_from_db()
    assert score.values.get(criterion__key="story").value == Decimal("3")
    response = client_for(bob).post(entry_url(assignment), form_data(criteria, story="9.5", version=str(score.version)))
    assert response.status_code == 302
    assert Score.objects.get().values.get(criterion__key="story").value == Decimal("9.5")


def test_submitting_before_the_watch_share_keeps_a_draft(assignment, bob, criteria, judging_round):
    judging_round.required_watch_share = 80
    judging_round.save()
    first = make_video(assignment.entry, slot="episode-1", duration=100)
    make_video(assignment.entry, slot="episode-2", duration=100)
    make_video(assignment.entry, slot="trailer", duration=30)  # never required
    scoring.record_watch(judge=bob, video=first, start=0, end=95)
    client = client_for(bob)
    response = client.post(entry_url(assignment), form_data(criteria, action="submit"))
    assert response.status_code == 302
    score = Score.objects.get()
    assert score.status == ScoreStatus.DRAFT  # what was typed is saved, the submit is refused
    assert score.values.get(criterion__key="story").value == Decimal("7.5")
    html = client.get(response["Location"]).content.decode()
    assert "Watch at least 80 % of every episode" in html and "Episode 2 (0 %)" in html
    assert "Episode 1 (" not in html.split("Still short of it:")[1].split("</p>")[0]
    assert 'value="7.5"' in html

    second = assignment.entry.videos.get(slot="episode-2")
    scoring.record_watch(judge=bob, video=second, start=0, end=100)
    response = client.post(entry_url(assignment), form_data(criteria, action="submit", version=str(score.version)))
    assert response.status_code == 302
    assert Score.objects.get().status == ScoreStatus.SUBMITTED


# ------------------------------------------------------------------------------------------------- conflict


def test_declaring_a_conflict_removes_the_entry(assignment, bob, judging_round):
    url = reverse("judging:entry_declare_conflict", args=[judging_round.pk, assignment.entry_id])
    client = client_for(bob)
    response = client.post(url, {"reason": "I taught the director"})
    assert response.status_code == 302 and response["Location"] == queue_url(judging_round)
    declaration = ConflictDeclaration.objects.get(judge=bob)
    assert declaration.kind == "entry" and declaration.entry == assignment.entry
    assert declaration.reason == "I taught the director"
    assert Conflict.objects.filter(judge=bob, entry=assignment.entry, source="declared").exists()
    html = client.get(queue_url(judging_round)).content.decode()
    assert "You declared a conflict with" in html
    assert entry_url(assignment) not in html
    assert client.get(entry_url(assignment)).status_code == 404


def test_declaring_needs_post_and_an_assignment(assignment, bob, erin, judging_round, charlie):
    url = reverse("judging:entry_declare_conflict", args=[judging_round.pk, assignment.entry_id])
    assert client_for(bob).get(url).status_code == 405
    for user in (erin, charlie):
        assert client_for(user).post(url, {"reason": "x"}).status_code == 404
    assert client_for().post(url).status_code == 302  # to sign-in
    assert not ConflictDeclaration.objects.exists()


def test_an_overlong_reason_is_refused_with_a_message(assignment, bob, judging_round):
    url = reverse("judging:entry_declare_conflict", args=[judging_round.pk, assignment.entry_id])
    response = client_for(bob).post(url, {"reason": "x" * 400}, follow=True)
    assert response.status_code == 200
    assert not ConflictDeclaration.objects.exists()
    assert any("300" in text for text in messages_of(response))
