"""An entrant enters a story in Chromium and submits it; an organizer filters, rules it ineligible and exports."""

import io
import re

import openpyxl
import pytest
from django.core import mail
from PIL import Image

from portal.models import Role
from submissions.models import Entry, EntryStatus
from tests.factories import PASSWORD, CompetitionFactory, RoleFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def poster_png():
    buffer = io.BytesIO()
    Image.new("RGB", (600, 900), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/")


def continue_step(page):
    page.click("button[value=continue]")


def upload(page, kind, name, data, mime):
    page.set_input_files(f"#file-{kind}", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click(f"#material-{kind} button[type=submit]")
    page.wait_for_load_state()


def enter_a_story(page, base, slug, story_pk, email):
    """The entrant's part, all in the browser; returns the new entry's id (from its URL)."""
    sign_in(page, base, email)
    page.goto(f"{base}/c/{slug}/")
    page.click("text=Enter this competition")
    page.check(f"input[name=track][value='{story_pk}']")
    page.select_option("select[name=unit]", label="Street Life")
    page.fill("input[name=title]", "胡同里的光")
    page.click("main form button[type=submit]")

    page.fill("input[name=logline]", "A courier and an old man light up a hutong.")
    page.fill("textarea[name=synopsis]", "她在胡同里送外卖，遇见了一位老人。")
    continue_step(page)
    page.check("input[name=genres][value=drama]")
    page.check("input[name=languages][value=zh]")
    page.fill("input[name=country]", "中国")
    continue_step(page)
    page.fill("textarea[name=outline]", "第一幕：相遇。第二幕：误会。第三幕：和解。")
    page.fill("textarea[name=episode_plan]", "第1集 相遇\n第2集 误会\n第3集 和解")
    continue_step(page)
    page.fill("input[name=credits-0-name]", "林编剧")
    continue_step(page)
    page.check("input[name=aigc_used][value=no]")
    continue_step(page)

    upload(page, "poster_vertical", "poster.png", poster_png(), "image/png")
    assert page.locator("#material-poster_vertical img, #material-poster_vertical a").count() > 0
    # The overview lists what is still missing before anything can be submitted.
    entry = page.url.split("/entries/")[1].split("/")[0]
    page.goto(f"{base}/entries/{entry}/")
    missing = page.inner_text("main")
    assert "Script (PDF or DOCX)" in missing and "Rights and authorisation letter" in missing
    assert "Declarations" in missing

    page.goto(f"{base}/entries/{entry}/edit/materials/")
    upload(page, "script", "script.pdf", PDF, "application/pdf")
    upload(page, "rights_letter", "letter.pdf", PDF, "application/pdf")
    page.goto(f"{base}/entries/{entry}/edit/declarations/")
    page.check("input[name=originality]")
    page.check("input[name=rights]")
    page.check("input[name=terms]")
    continue_step(page)
    page.click("form[action$='/submit/'] button[type=submit]")
    page.wait_for_selector("text=LCP2026-0001")
    return entry


def rule_ineligible_and_export(page, base, slug, email, download_path):
    """The organizer's part: filter, open the entry, rule it ineligible, export the filtered list."""
    sign_in(page, base, email)
    page.goto(f"{base}/console/c/{slug}/entries/")
    page.select_option("select[name=track]", "story")
    page.click("form.entry-filters button[type=submit]")
    assert "胡同里的光" in page.inner_text("main table")
    page.click("text=胡同里的光")
    page.check("input[name=decision][value=ineligible]")
    page.fill("textarea[name=reason]", "The script is missing its last episode.")
    page.click("form.decision-form button[type=submit]")
    page.wait_for_selector("text=The script is missing its last episode.")

    page.goto(f"{base}/console/c/{slug}/entries/?track=story")
    with page.expect_download() as download_info:
        page.click("text=Excel (XLSX)")
    download_info.value.save_as(download_path)


def test_entrant_submits_a_story_and_the_organizer_rules_on_it(live_server, chromium, tmp_path):
    competition = CompetitionFactory(slug="lcp-browser", entry_prefix="LCP2026")
    story = competition.tracks.get(kind="story")
    story.required_materials = ["poster_vertical", "script", "rights_letter"]
    story.save()
    UnitFactory(competition=competition, name_en="Street Life", name_zh="街头巷尾")
    UnitFactory(competition=competition, name_en="Sci-Tech Wonder", name_zh="科技奇境")
    entrant = UserFactory(email="writer@example.com", display_name="Writer")
    organizer = UserFactory(email="organizer@example.com")
    RoleFactory(competition=competition, user=organizer, role=Role.ORGANIZER)

    with chromium() as browser:
        context = browser.new_context(locale="en-US")
        entry = enter_a_story(context.new_page(), live_server.url, competition.slug, story.pk, entrant.email)
        context.close()

    submitted = Entry.objects.get(pk=entry)
    assert submitted.status == EntryStatus.SUBMITTED and submitted.number == "LCP2026-0001"
    assert set(submitted.materials.values_list("kind", flat=True)) == {"poster_vertical", "script", "rights_letter"}
    confirmation = [m for m in mail.outbox if "LCP2026-0001" in m.subject]
    assert len(confirmation) == 1 and confirmation[0].to == ["writer@example.com"]
    assert "LCP2026-0001" in confirmation[0].body and "Entry number" in confirmation[0].body

    path = tmp_path / "entries.xlsx"
    with chromium() as browser:
        context = browser.new_context(locale="en-US", accept_downloads=True)
        rule_ineligible_and_export(context.new_page(), live_server.url, competition.slug, organizer.email, path)
        context.close()

    rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 2  # header and the one story entry
    header, row = rows
    values = dict(zip(header, row, strict=True))
    assert values["Entry number"] == "LCP2026-0001" and values["Title"] == "胡同里的光"
    assert values["Status"] == "Ineligible"
    decided = Entry.objects.get(pk=entry)
    assert decided.status == EntryStatus.INELIGIBLE
    assert decided.eligibility_reason == "The script is missing its last episode."
    assert any(re.search(r"not eligible", m.subject) for m in mail.outbox)
