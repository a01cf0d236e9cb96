"""A judge in Chromium, with two-factor authentication required: opens the invitation link, accepts the terms, sets
up an authenticator app (the test computes the codes), watches half an episode, scores two entries and changes
one; once the window closes the score form is read-only and a late submit is refused.

Playwright's sync API must not share its block with the ORM (tests/browser/conftest.py), so the session moves
from the first browser block to the second as a storage state, and the window is closed in between.
"""

import base64
import hashlib
import hmac
import re
import struct
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from judging import ledger
from judging.models import (
    Assignment,
    Invitation,
    LedgerEntry,
    LedgerKind,
    PanelMembership,
    RoundEntry,
    Score,
    ScoreStatus,
    WatchProgress,
)
from portal.models import Role
from submissions import pipeline
from submissions.models import VideoFile, VideoStatus
from tests.browser.test_entry_to_decision import sign_in
from tests.conftest import require_service
from tests.factories import (
    PASSWORD,
    CompetitionFactory,
    RoleFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
)
from tests.submissions.videos import write_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JUDGE_EMAIL = "judge.li@example.com"


@pytest.fixture
def vendored():
    from django.conf import settings

    present = (settings.BASE_DIR / "submissions/static/submissions/vendor/htmx.min.js").is_file()
    require_service(present, "htmx in submissions/static/submissions/vendor (make install)")


def totp_code(secret, at=None):
    """RFC 6238 with allauth's defaults (SHA-1, 30 s, 6 digits)."""
    counter = int(at if at is not None else time.time()) // 30
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_code(secret):
    """A code with a few seconds of its period left, so the server checks it within the same period."""
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.5)
    return totp_code(secret)


def the_world(tmp_path):
    """An open round (50 % watch share) with two entries, a real 4 s episode processed on the first, both
    assigned to the judge to be, and the invitation."""
    competition = CompetitionFactory(slug="lcp-judging", name_en="Light-Chasing 2026")
    unit = UnitFactory(competition=competition, name_en="Street Life", name_zh="街头巷尾")
    organizer = UserFactory(email="organizer@example.com", display_name="Olga")
    RoleFactory(competition=competition, user=organizer, role=Role.ORGANIZER)
    round = RoundFactory(competition=competition, position=1, required_watch_share=50, blind=True)
    RubricFactory(round=round)
    judge = UserFactory(email=JUDGE_EMAIL, display_name="Li Judge")

    first = eligible_entry(unit, title="胡同里的光", title_en="Light in the Hutong", episode_count=1)
    second = eligible_entry(unit, title="银发乐章", title_en="Silver Song", episode_count=1)
    source = write_video(tmp_path / "ep1.mp4", width=360, height=640, seconds=4, fps=10)
    with source.open("rb") as handle:
        name = default_storage.save("videos/ep1.mp4", handle)
    video = VideoFile.objects.create(
        entry=first, slot="episode-1", episode=1, file=name, size=source.stat().st_size, original_name="ep1.mp4"
    )
    assert pipeline.run_all(video.pk) == ["done"] * 4
    video.refresh_from_db()
    assert video.status == VideoStatus.READY and video.preview

    for entry in (first, second):
        RoundEntry.objects.create(round=round, entry=entry)
        Assignment.objects.create(round=round, entry=entry, judge=judge, method="manual", assigned_by=organizer)
    invitation = Invitation.objects.create(
        round=round, email=JUDGE_EMAIL, invited_by=organizer, expires_at=timezone.now() + timedelta(days=30)
    )
    return {"round": round, "judge": judge, "first": first, "second": second, "video": video, "invitation": invitation}


def accept_and_set_up_mfa(page, base, invitation_url, queue_url):
    page.goto(base + invitation_url)
    assert "Accept and join the jury" in page.inner_text("main")
    assert "Light-Chasing 2026" in page.inner_text("main") and JUDGE_EMAIL in page.inner_text("main")
    page.check("input[name=confidentiality]")
    page.check("input[name=conflicts]")
    page.fill("textarea[name=affiliations]", "北京电影学院")
    page.click("form.accept-form button[type=submit]")

    # Two-factor authentication is required, so the queue sends the new judge to set it up first.
    # allauth asks for the password again before an authenticator is added.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert "need two-factor authentication" in page.inner_text(".messages")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", fresh_code(secret))
    page.click("main form button[type=submit]")
    # Set-up done, the judge is back where they were going, and told where the recovery codes are.
    page.wait_for_url(re.compile(re.escape(queue_url) + "$"))
    assert "Two-factor authentication is on" in page.inner_text(".messages")
    main = page.inner_text("main")
    assert "Light in the Hutong" in main and "Silver Song" in main
    assert page.inner_text(".judge-progress-count").replace("\u00a0", " ") == "0 / 2"


def watched_percent(page):
    text = page.inner_text("[data-watched-text]").replace("\u00a0", " ")
    return int(re.search(r"(\d+) %", text).group(1))


def watch_half(page):
    """Plays the episode (muted, so headless Chromium may autoplay) past 60 %, pauses (the player then reports
    what was played), and waits until the page says at least half of it is watched."""
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-watch-url]'); return v && v.readyState >= 1; }",
        timeout=20000,
    )
    assert watched_percent(page) == 0
    page.evaluate(
        "() => { const v = document.querySelector('video[data-watch-url]'); v.muted = true; return v.play(); }"
    )
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-watch-url]'); return v.currentTime / v.duration > 0.6; }",
        timeout=20000,
    )
    page.evaluate("() => document.querySelector('video[data-watch-url]').pause()")
    page.wait_for_function(
        """() => { const m = document.querySelector('[data-watched-text]').textContent.match(/(\\d+)\\s*%/);
                   return m && Number(m[1]) >= 50; }""",
        timeout=20000,
    )
    return watched_percent(page)


def submit_score(page, values, comments):
    for name, value in values.items():
        page.fill(f"input[name={name}]", value)
    for name, value in comments.items():
        page.fill(f"textarea[name={name}]", value)
    page.click("button[name=action][value=submit]")
    page.wait_for_selector(".messages .message-success")
    return page.inner_text(".messages")


def judge_in_the_browser(browser, base, world_urls, fields):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, JUDGE_EMAIL)
    accept_and_set_up_mfa(page, base, world_urls["invitation"], world_urls["queue"])

    # The first entry: the score cannot be submitted before half the episode is watched; it is kept as a draft.
    page.goto(base + world_urls["first"])
    main = page.inner_text("main")
    assert "Light in the Hutong" in main and "ep1.mp4" not in main
    values = {fields["story"]: "7.5", fields["craft"]: "8"}
    comments = {fields["craft_comment"]: "Tight editing."}
    for name, value in values.items():
        page.fill(f"input[name={name}]", value)
    page.fill(f"textarea[name={fields['craft_comment']}]", comments[fields["craft_comment"]])
    page.click("button[name=action][value=submit]")
    page.wait_for_selector(".messages .message-warning")
    assert "Watch at least 50 %" in page.inner_text(".messages").replace("\u00a0", " ")
    assert page.input_value(f"input[name={fields['story']}]") == "7.5"

    assert watch_half(page) >= 50
    assert "Your score for" in submit_score(page, values, comments)

    # The second entry (no video), then back to the first to change a value.
    page.goto(base + world_urls["second"])
    assert "Your score for" in submit_score(
        page, {fields["story"]: "6", fields["craft"]: "5.5"}, {fields["craft_comment"]: "Lovely cast."}
    )
    page.goto(base + world_urls["first"])
    assert page.input_value(f"input[name={fields['story']}]") == "7.5"
    assert "Your score for" in submit_score(page, {fields["story"]: "9"}, {})
    page.goto(base + world_urls["queue"])
    assert page.inner_text(".judge-progress-count").replace("\u00a0", " ") == "2 / 2"
    state = context.storage_state()
    context.close()
    return state


def after_the_window_closed(browser, base, world_urls, fields, state):
    context = browser.new_context(locale="en-US", storage_state=state)
    page = context.new_page()
    page.goto(base + world_urls["first"])
    assert "Scoring closed on" in page.inner_text("#score")
    story = page.locator(f"input[name={fields['story']}]")
    assert story.input_value() == "9" and story.is_disabled()
    assert page.locator("button[name=action]").count() == 0
    # A late attempt all the same: the form is made editable again in the page and sent.
    page.evaluate(
        """story => { const form = document.querySelector('form.judge-score-form');
                      form.querySelectorAll('fieldset[disabled]').forEach(set => set.removeAttribute('disabled'));
                      form.querySelector('input[name="' + story + '"]').value = '1';
                      const action = document.createElement('input');
                      action.type = 'hidden'; action.name = 'action'; action.value = 'submit';
                      form.appendChild(action);
                      form.submit(); }""",
        fields["story"],
    )
    page.wait_for_selector(".messages .message-error")
    assert "Scoring closed on" in page.inner_text(".messages")
    page.goto(base + world_urls["first"])
    assert page.input_value(f"input[name={fields['story']}]") == "9"
    context.close()


def test_a_judge_accepts_sets_up_mfa_scores_and_is_locked_out_after_the_window(
    live_server, chromium, tmp_path, settings, vendored
):
    settings.STAFF_MFA_REQUIRED = True
    world = the_world(tmp_path)
    round, judge, first, second = world["round"], world["judge"], world["first"], world["second"]
    criteria = {criterion.key: criterion for criterion in round.rubrics.get().criteria.all()}
    fields = {
        "story": f"c{criteria['story'].pk}_value",
        "craft": f"c{criteria['craft'].pk}_value",
        "craft_comment": f"c{criteria['craft'].pk}_comment",
    }
    urls = {
        "invitation": reverse("judging:invitation", args=[world["invitation"].token]),
        "queue": reverse("judging:queue", args=[round.pk]),
        "first": reverse("judging:entry", args=[round.pk, first.pk]),
        "second": reverse("judging:entry", args=[round.pk, second.pk]),
    }

    with chromium() as browser:
        state = judge_in_the_browser(browser, live_server.url, urls, fields)

    membership = PanelMembership.objects.get(round=round, judge=judge)
    assert membership.terms_accepted_at is not None and membership.active
    assert judge.judge_profile.affiliation_list == ["北京电影学院"]
    assert Authenticator.objects.filter(user=judge, type=Authenticator.Type.TOTP).exists()
    progress = WatchProgress.objects.get(judge=judge, video=world["video"])
    assert progress.share >= 0.5

    round.closes_at = timezone.now() - timedelta(minutes=1)
    round.save(update_fields=["closes_at"])

    with chromium() as browser:
        after_the_window_closed(browser, live_server.url, urls, fields, state)

    scores = {score.entry_id: score for score in Score.objects.filter(round=round, judge=judge)}
    assert set(scores) == {first.pk, second.pk}
    assert all(score.status == ScoreStatus.SUBMITTED for score in scores.values())
    values = {value.criterion.key: value.value for value in scores[first.pk].values.select_related("criterion")}
    assert values == {"story": Decimal("9"), "craft": Decimal("8")}  # the change stuck, the late one did not
    assert scores[first.pk].version > scores[second.pk].version
    kinds = list(LedgerEntry.objects.filter(competition=round.competition).values_list("kind", flat=True))
    assert kinds.count(LedgerKind.SCORE_SUBMITTED) >= 2 and LedgerKind.SCORE_CHANGED in kinds
    assert ledger.verify(competition=round.competition) is None
