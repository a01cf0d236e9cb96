"""The blind entry page: who may open it (404 for everyone else), what it shows of the work, its files and
videos, the score form built from the rubric, peer scores, and the conflict declaration."""

from decimal import Decimal

import pytest
from django.urls import reverse

from judging.models import Criterion, PeerScores, RoundEntry, WatchProgress
from submissions.models import CoOwner, Credit, VideoStatus
from tests.factories import AssignmentFactory, UserFactory, eligible_entry
from tests.judging.judge_support import (
    DOCX,
    client_for,
    conflict,
    docx_bytes,
    entry_url,
    make_document,
    make_image,
    make_score,
    make_video,
    other_competition_judge,
    other_round_judge,
)


@pytest.fixture
def work(assignment):
    """Charlie's entry filled in like a real finished work, with files and two playable episodes."""
    entry = assignment.entry
    entry.logline = "胡同里的一束光"
    entry.logline_en = "A ray of light in the hutong"
    entry.synopsis = "短梗概：老北京的故事"
    entry.synopsis_en = "Short synopsis in English"
    entry.synopsis_long = "长梗概：很长的故事"
    entry.synopsis_long_en = "The long synopsis"
    entry.genres = ["drama", "family"]
    entry.episode_count = 2
    entry.episode_runtime_seconds = 95
    entry.aigc_used = True
    entry.aigc_tools = "Kling, Suno"
    entry.aigc_parts = ["video", "music"]
    entry.aigc_statement = "AI made the dream sequences."
    entry.save()
    return {
        "entry": entry,
        "poster": make_image(entry, "poster_vertical"),
        "still": make_image(entry, "stills", thumbnail=False),
        "form": make_document(entry, kind="entry_form", original_name="form.pdf"),
        "letter": make_document(entry, kind="rights_letter", original_name="letter.pdf"),
        "trailer": make_video(entry, slot="trailer", duration=30),
        "episode": make_video(entry, slot="episode-1", duration=100),
        "episode2": make_video(entry, slot="episode-2", duration=80),
        "processing": make_video(entry, slot="episode-3", status=VideoStatus.TRANSCODING),
    }


# ------------------------------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_sign_in(assignment):
    response = client_for().get(entry_url(assignment))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_everyone_but_the_assigned_judge_gets_404(assignment, charlie, dave, erin, alice, competition):
    frank = other_round_judge(competition).judge
    gina = other_competition_judge().judge
    # alice organizes the competition but is no judge of this round: organizers use the console, not this page.
    for user in (charlie, dave, erin, frank, gina, alice):
        assert client_for(user).get(entry_url(assignment)).status_code == 404, user
        assert client_for(user).post(entry_url(assignment), {"action": "draft"}).status_code == 404, user


def test_a_conflicted_judge_gets_404_declared_or_detected(assignment, bob):
    row = conflict(bob, assignment.entry, source="detected")
    assert client_for(bob).get(entry_url(assignment)).status_code == 404
    row.delete()
    assert client_for(bob).get(entry_url(assignment)).status_code == 200
    conflict(bob, assignment.entry, source="declared")
    assert client_for(bob).get(entry_url(assignment)).status_code == 404


def test_a_dropped_judge_gets_404(assignment, bob_membership, bob):
    bob_membership.active = False
    bob_membership.save()
    assert client_for(bob).get(entry_url(assignment)).status_code == 404


def test_forged_ids_get_404(assignment, bob, judging_round, unit):
    unassigned = eligible_entry(unit)
    RoundEntry.objects.create(round=judging_round, entry=unassigned)
    client = client_for(bob)
    assert client.get(reverse("judging:entry", args=[judging_round.pk, unassigned.pk])).status_code == 404
    assert client.get(reverse("judging:entry", args=[judging_round.pk + 99, assignment.entry_id])).status_code == 404
    assert client.get(reverse("judging:entry", args=[judging_round.pk, 999999])).status_code == 404


# ------------------------------------------------------------------------------------------------- content


def test_the_work_is_shown(work, assignment, bob):
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    entry = work["entry"]
    for text in (
        entry.number,
        entry.title,
        entry.title_en,
        entry.logline,
        entry.logline_en,
        entry.synopsis,
        entry.synopsis_en,
        entry.synopsis_long,
        entry.synopsis_long_en,
        "Street Life",
        "Finished work",
        "Drama",
        "Family",
        "1:35",
        "Kling, Suno",
        "Video",
        "Music",
        "AI made the dream sequences.",
    ):
        assert text in html, text


def test_files_link_to_the_judge_urls_only(work, assignment, bob):
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    args = [assignment.round_id, assignment.entry_id]
    poster, still = work["poster"], work["still"]
    assert reverse("judging:entry_material_thumbnail", args=[*args, poster.pk]) in html
    assert reverse("judging:entry_material", args=[*args, poster.pk]) in html
    assert reverse("judging:entry_material", args=[*args, still.pk]) in html
    assert reverse("judging:entry_material_thumbnail", args=[*args, still.pk]) not in html  # no thumbnail yet
    for hidden in (work["form"], work["letter"]):
        assert reverse("judging:entry_material", args=[*args, hidden.pk]) not in html
    assert "/submissions/" not in html.split("<main", 1)[1]  # nothing of the entrant's or organizer's file URLs


def test_videos_have_players_posters_and_watched_shares(work, assignment, bob, judging_round):
    judging_round.required_watch_share = 80
    judging_round.save()
    WatchProgress.objects.create(
        judge=bob, video=work["episode"], intervals=[[0, 85]], duration=100, watched_seconds=85
    )
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    args = [assignment.round_id, assignment.entry_id]
    for video in (work["trailer"], work["episode"], work["episode2"]):
        assert reverse("judging:entry_video_preview", args=[*args, video.pk]) in html
        assert reverse("judging:entry_video_poster", args=[*args, video.pk]) in html
        assert f'data-watch-url="{reverse("judging:watch", args=[*args, video.pk])}"' in html
    assert reverse("judging:entry_video_preview", args=[*args, work["processing"].pk]) not in html
    assert "Trailer" in html and "Episode 1" in html and "Episode 2" in html
    assert "Watched 85 %" in html and "Watched 0 %" in html
    assert "required 80 %" in html
    assert "watch at least 80 % of every episode" in html
    assert "judging/js/watch.js" in html
    assert "data-csrf-token=" in html


def test_the_score_form_follows_the_rubric(assignment, bob, judging_round):
    story = Criterion.objects.get(rubric__round=judging_round, key="story")
    story.guidance_low_en, story.guidance_mid_en, story.guidance_high_en = "Flat", "Holds up", "Unforgettable"
    story.step = Decimal("0.25")
    story.save()
    craft = Criterion.objects.get(rubric__round=judging_round, key="craft")
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "Story" in html and "Craft" in html
    assert "Weight 60 · 0–10 in steps of 0.25" in html and "Weight 40 · 0–10 in steps of 0.5" in html
    assert "Flat" in html and "Holds up" in html and "Unforgettable" in html
    assert f'name="c{story.pk}_value"' in html and 'min="0" max="10" step="0.25"' in html
    assert f'name="c{craft.pk}_comment"' in html
    assert html.count("(required to submit)") == 1  # craft only
    assert 'name="version" value="0"' in html
    for label in ("Save draft", "Submit score", "Submit and next"):
        assert label in html
    assert "Declare a conflict with this entry" in html
    assert reverse("judging:entry_declare_conflict", args=[assignment.round_id, assignment.entry_id]) in html


def test_a_saved_score_fills_the_form(assignment, bob):
    score = make_score(assignment, values={"story": Decimal("7.5"), "craft": Decimal("8")}, comment="Moving")
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert 'value="7.5"' in html and 'value="8"' in html and "Moving" in html
    assert f'name="version" value="{score.version}"' in html
    assert "Submitted" in html and "total 83.0 / 100" not in html  # 0.6*75 + 0.4*80 = 77
    assert "total 77.0 / 100" in html


def test_blind_rounds_never_show_who_made_it(assignment, bob, charlie):
    entry = assignment.entry
    CoOwner.objects.create(entry=entry, email="coowner-secret@example.com", user=UserFactory(display_name="Co Secret"))
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    for secret in ("林导演", charlie.display_name, charlie.email, "coowner-secret@example.com", "Co Secret"):
        assert secret not in html, secret
    assert "Credits" not in html


def test_open_rounds_show_credits_and_the_owner(assignment, bob, charlie, judging_round):
    judging_round.blind = False
    judging_round.save()
    Credit.objects.create(entry=assignment.entry, role="screenwriter", name="王编剧")
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "林导演" in html and "王编剧" in html and "Screenwriter" in html
    assert charlie.display_name in html
    assert charlie.email not in html  # never the email, blind or not


def test_story_entries_show_outline_episode_plan_and_script(bob, judging_round, unit, competition, bob_membership):
    story_track = competition.tracks.get(kind="story")
    entry = eligible_entry(unit, track=story_track)
    entry.outline = "大纲：三幕结构"
    entry.episode_plan = "第1集：相遇"
    entry.save()
    assignment = AssignmentFactory(round=judging_round, entry=entry, judge=bob)
    script = make_document(entry, data=docx_bytes(), content_type=DOCX, original_name="charlie-script.docx")
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "大纲：三幕结构" in html and "第1集：相遇" in html
    assert reverse("judging:entry_material", args=[judging_round.pk, entry.pk, script.pk]) in html
    assert "Open the script (DOCX)" in html
    assert "charlie-script.docx" not in html
    assert "The story" in html


def test_peer_scores_appear_after_the_judges_own_when_the_round_allows(assignment, bob, erin, judging_round):
    judging_round.peer_scores = PeerScores.AFTER_OWN
    judging_round.save()
    erins = AssignmentFactory(round=judging_round, entry=assignment.entry, judge=erin)
    make_score(erins, values={"story": Decimal("5"), "craft": Decimal("5")})
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "The other judges&#x27; scores" not in html and "Judge A" not in html
    make_score(assignment)
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "Judge A" in html and "50.0" in html and "Erin" not in html


def test_peer_scores_never_show_when_the_round_says_never(assignment, bob, erin, judging_round):
    erins = AssignmentFactory(round=judging_round, entry=assignment.entry, judge=erin)
    make_score(erins)
    make_score(assignment)
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "Judge A" not in html


def test_entrant_text_is_escaped(assignment, bob):
    entry = assignment.entry
    entry.synopsis = "<img src=x onerror=alert(1)>"
    entry.aigc_tools = "<script>alert(2)</script>"
    entry.save()
    html = client_for(bob).get(entry_url(assignment)).content.decode()
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
