from contextlib import contextmanager

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Every page reports a Content-Security-Policy violation (a blocked inline script or style, a blocked fetch) to the
# console, where the watcher below collects it: the portal's policy allows no inline code, so any is a bug.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.effectiveDirective + " blocked " + (event.blockedURI || "inline")
    + " in " + event.documentURI + (event.sourceFile ? " (" + event.sourceFile + ":" + event.lineNumber + ")" : "")
    + (event.sample ? " sample: " + event.sample : ""));
}, true);
"""


class CSPWatchedBrowser:
    """A Playwright browser whose every context records the CSP violations of its pages in `violations`."""

    def __init__(self, browser):
        self._browser = browser
        self.violations = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def _watch(self, context):
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message):
        text = message.text
        if text.startswith("CSP violation: ") or "Content Security Policy" in text:
            self.violations.append(text)

    def new_context(self, **options):
        return self._watch(self._browser.new_context(**options))

    def new_page(self, **options):
        context = self.new_context(**options)
        page = context.new_page()
        return page


@pytest.fixture
def chromium(chromium_path):
    """Opens a headless Debian Chromium (never a downloaded build): `with chromium() as browser: ...`.

    Playwright's sync API runs an event loop while the block is open, so the ORM must not be used inside it
    (queries there would open connections no test teardown closes): do database work before and after.
    Leaving the block fails the test if any page broke the Content-Security-Policy.
    """
    from playwright.sync_api import sync_playwright

    @contextmanager
    def open_browser():
        with sync_playwright() as playwright:
            browser = CSPWatchedBrowser(playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS))
            try:
                yield browser
            finally:
                browser.close()
            assert not browser.violations, "Content-Security-Policy violations:\n" + "\n".join(
                dict.fromkeys(browser.violations)
            )

    return open_browser
