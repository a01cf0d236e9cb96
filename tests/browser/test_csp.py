"""The browser tests' CSP watcher (conftest.CSPWatchedBrowser) really fails a test on a violation, and the
portal's pages have no inline code for it to catch."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_injected_inline_style_and_script_are_blocked_and_fail_the_test(chromium, live_server):
    with pytest.raises(AssertionError) as failure, chromium() as browser:
        page = browser.new_context(locale="en-US").new_page()
        page.goto(live_server.url + reverse("portal:competition_list"))
        page.evaluate(
            """() => {
                    document.body.insertAdjacentHTML("beforeend", '<p id="probe" style="color: rgb(255, 0, 0)">x</p>');
                    const script = document.createElement("script");
                    script.textContent = "window.injected = true";
                    document.body.appendChild(script);
                }"""
        )
        page.wait_for_timeout(200)
        colour = page.eval_on_selector("#probe", "element => getComputedStyle(element).color")
        injected = page.evaluate("() => window.injected === true")
    assert colour != "rgb(255, 0, 0)"  # the inline style was not applied
    assert injected is False  # the inline script did not run
    message = str(failure.value)
    assert "Content-Security-Policy violations" in message
    assert "style-src" in message and "script-src" in message
