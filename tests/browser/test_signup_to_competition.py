"""A newcomer's first visit, in a real browser: sign up, verify, sign in, switch language, find the competition."""

import re
import zoneinfo

import pytest
from django.core import mail

from portal.demo import seed_demo
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page):
    page.click("main form button[type=submit]")


def test_sign_up_verify_sign_in_switch_language_and_see_the_demo(live_server, chromium):
    competition = seed_demo()
    local_deadline = competition.submission_closes_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    expected_deadline = local_deadline.strftime("%Y-%m-%d %H:%M")

    with chromium() as browser:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(live_server.url + "/accounts/signup/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        page.fill("input[name=email]", "mei@example.com")
        page.fill("input[name=display_name]", "Mei")
        page.fill("input[name=password1]", "a-long-story-of-light")
        page.fill("input[name=password2]", "a-long-story-of-light")
        submit(page)
        page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))

        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["mei@example.com"]
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
        page.goto(link.replace("http://testserver", live_server.url))
        submit(page)

        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=login]", "mei@example.com")
        page.fill("input[name=password]", "a-long-story-of-light")
        submit(page)
        page.wait_for_url(live_server.url + "/")
        assert "Mei" in page.inner_text("header")

        page.click("button[name=language][value=en]")
        page.wait_for_selector("html[lang=en]")
        assert "Competitions" in page.inner_text("header nav")
        page.click("button[name=language][value=zh-hans]")
        page.wait_for_selector("html[lang=zh-hans]")
        assert "赛事" in page.inner_text("header nav")

        page.click(f"a[href='/c/{competition.slug}/']")
        page.wait_for_url(re.compile(rf"/c/{competition.slug}/$"))
        assert page.locator("#units .unit-card").count() == 12
        assert "街头巷尾·人间烟火" in page.inner_text("#units")
        assert expected_deadline in page.inner_text("#deadline")
        # The countdown ticks in the browser: days, then hh:mm:ss.
        page.wait_for_function(
            "document.querySelector('[data-countdown]').textContent.match(/^\\d+ 天 \\d\\d:\\d\\d:\\d\\d$/)"
        )
        context.close()

    user = User.objects.get(email="mei@example.com")
    assert user.emailaddress_set.get().verified
    assert user.display_name == "Mei"
    assert user.language == "zh-hans"
