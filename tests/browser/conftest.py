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


@pytest.fixture
def chromium(chromium_path):
    """Opens a headless Debian Chromium (never a downloaded build): `with chromium() as browser: ...`.

    Playwright's sync API runs an event loop while the block is open, so the ORM must not be used inside it
    (queries there would open connections no test teardown closes): do database work before and after.
    """
    from playwright.sync_api import sync_playwright

    @contextmanager
    def open_browser():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()

    return open_browser
