"""Results in Chromium: the organizer publishes a round's result from its version page, a member of the public
(a signed-in entrant) reads the results page and lodges an objection with an evidence image, the organizer
answers it and, once the public notice has ended, finalises; the public page then says the result is final.

Playwright's sync API must not share its block with the ORM (tests/browser/conftest.py): the notice is moved
into the past between two browser blocks.
"""

import io
import re

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from judging import versions
from judging.models import Objection, ObjectionStatus, ResultVersion, VersionStatus
from portal.models import ActionLog, LoggedAction, Role
from tests.browser.test_entry_to_decision import sign_in
from tests.factories import CompetitionFactory, RoleFactory, UserFactory
from tests.judging.test_public_results import end_notice, results_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZER_EMAIL = "olga@example.com"
PUBLIC_EMAIL = "viewer@example.com"


def evidence_png():
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "orange").save(out, format="PNG")
    return out.getvalue()


def the_world():
    """Round 1 closed and scored, the top entry of each unit advanced, version 1 prepared (a draft)."""
    competition = CompetitionFactory(slug="lcp-results", name_en="Light-Chasing 2026", name_zh="追光计划 2026")
    organizer = UserFactory(email=ORGANIZER_EMAIL, display_name="Olga")
    RoleFactory(competition=competition, user=organizer, role=Role.ORGANIZER)
    UserFactory(email=PUBLIC_EMAIL, display_name="Viewer")
    world = results_world(competition, organizer, per_unit=2, top_k=1, publish=False)
    world["version"] = versions.prepare_version(round=world["round1"], actor=organizer)
    world["organizer"] = organizer
    return world


def publish_as_organizer(browser, base, urls):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, base, ORGANIZER_EMAIL)
    page.goto(base + urls["version"])
    page.click("form[action$='/publish/'] button[type=submit]")
    page.wait_for_selector(".messages .message-success")
    assert "is published" in page.inner_text(".messages")
    context.close()


def object_as_the_public(browser, base, urls, advanced, not_advanced):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, base, PUBLIC_EMAIL)
    page.goto(base + urls["competition"])
    page.click(f"a[href='{urls['results']}']")
    page.wait_for_url(re.compile(re.escape(urls["results"]) + "$"))
    main = page.inner_text("main")
    assert "Preliminary round" in main and "In public notice until" in main
    assert "Street Life" in main and "Silver Years" in main
    for number, title in advanced:
        assert number in main and title in main
    for number, title in not_advanced:
        assert number not in main and title not in main

    first_number = advanced[0][0]
    page.click(f"a[href$='/object/{first_number}/']")
    page.wait_for_selector("form.objection-form")
    assert first_number in page.inner_text("main")
    text = "该作品片头与另一部作品雷同，请核查。"
    # Evidence that is not a document or an image is refused, and what was typed is kept.
    page.fill("textarea[name=text]", text)
    page.set_input_files(
        "input[name=evidence]", files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"just text"}]
    )
    page.click("form.objection-form button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "judged by its content" in page.inner_text("form.objection-form")
    assert page.input_value("textarea[name=text]") == text
    page.set_input_files(
        "input[name=evidence]", files=[{"name": "证据.png", "mimeType": "image/png", "buffer": evidence_png()}]
    )
    page.click("form.objection-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(urls["results"]) + "#my-objections$"))
    assert "has been lodged" in page.inner_text(".messages")
    assert "Awaiting an answer" in page.inner_text("#my-objections")
    state = context.storage_state()
    context.close()
    return state


def answer_as_organizer(browser, base, urls):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, base, ORGANIZER_EMAIL)
    page.goto(base + urls["version"])
    objection = page.locator("li.objection").first
    assert "该作品片头与另一部作品雷同" in objection.inner_text()
    # The evidence opens for the organizer.
    evidence = page.request.get(base + objection.locator("a", has_text="Evidence").get_attribute("href"))
    assert evidence.status == 200 and evidence.headers["content-type"] == "image/png"
    objection.locator("input[value=rejected]").check()
    objection.locator("textarea[name=answer]").fill("经核查，两部作品无实质相似。")
    objection.locator("button[type=submit]").click()
    page.wait_for_selector(".messages .message-success")
    assert "rejected" in page.inner_text(".messages")
    # The notice is still running: finalising is not possible yet.
    assert page.locator("form[action$='/finalise/'] button[type=submit]").is_disabled()
    context.close()


def finalise_and_check(browser, base, urls, public_state):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, base, ORGANIZER_EMAIL)
    page.goto(base + urls["version"])
    page.click("form[action$='/finalise/'] button[type=submit]")
    page.wait_for_selector(".messages .message-success")
    assert "is final" in page.inner_text(".messages")
    context.close()

    anonymous = browser.new_context(locale="en-US")
    page = anonymous.new_page()
    page.goto(base + urls["results"])
    main = page.inner_text("main")
    assert "Final result" in main and "In public notice" not in main
    assert "Lodge an objection" not in main
    anonymous.close()

    viewer = browser.new_context(locale="en-US", storage_state=public_state)
    page = viewer.new_page()
    page.goto(base + urls["results"])
    mine = page.inner_text("#my-objections")
    assert "Rejected" in mine and "经核查，两部作品无实质相似。" in mine
    viewer.close()


def test_publish_object_answer_and_finalise(live_server, chromium):
    world = the_world()
    competition, version = world["competition"], world["version"]
    round1 = world["round1"]
    urls = {
        "competition": reverse("portal:competition_detail", args=[competition.slug]),
        "results": reverse("judging:results", args=[competition.slug]),
        "version": reverse("judging:version_detail", args=[competition.slug, round1.pk, version.pk]),
    }
    advanced = [(entry.number, entry.title) for entry in world["advanced"]]
    not_advanced = [(entry.number, entry.title) for entry in world["not_advanced"]]
    organizer = world["organizer"]

    with chromium() as browser:
        publish_as_organizer(browser, live_server.url, urls)
        public_state = object_as_the_public(browser, live_server.url, urls, advanced, not_advanced)
        answer_as_organizer(browser, live_server.url, urls)

    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.published_at is not None
    objection = Objection.objects.get()
    assert objection.status == ObjectionStatus.REJECTED and objection.answered_by == organizer
    end_notice(version)

    with chromium() as browser:
        finalise_and_check(browser, live_server.url, urls, public_state)

    version.refresh_from_db()
    assert version.status == VersionStatus.FINAL and version.finalised_by == organizer
    assert ResultVersion.objects.filter(round=round1).count() == 1
    objection.refresh_from_db()
    viewer = objection.author
    assert viewer.email == PUBLIC_EMAIL
    assert objection.entry.number == advanced[0][0] and objection.version == version
    assert objection.text == "该作品片头与另一部作品雷同，请核查。"
    assert objection.answer == "经核查，两部作品无实质相似。"
    assert objection.evidence_type == "image/png" and default_storage.exists(objection.evidence.name)
    assert "证据" not in objection.evidence.name
    assert Objection.objects.count() == 1  # the refused upload stored nothing
    actions = set(ActionLog.objects.filter(competition=competition).values_list("action", flat=True))
    assert {LoggedAction.RESULT_PUBLISHED, LoggedAction.OBJECTION_ANSWERED, LoggedAction.RESULT_FINALISED} <= actions
    # The viewer was told the answer; the organizer was told of the objection.
    assert any(PUBLIC_EMAIL in message.to for message in mail.outbox)
    assert any(ORGANIZER_EMAIL in message.to for message in mail.outbox)
