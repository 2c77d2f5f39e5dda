"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium) against a live
server of the test database. Nothing downloads a browser; without Chromium the tests skip, and fail
when SXSH_REQUIRE_SERVICES=1 (CI installs the package)."""

import os
from pathlib import Path

import pytest

from tests.conftest import services_required

CHROMIUM = os.environ.get("SXSH_CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parent.parent.parent / "docs" / "screens"


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if services_required():
            pytest.fail(f"chromium is not installed at {CHROMIUM}, but SXSH_REQUIRE_SERVICES=1 requires it")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def login(browser, live_server):
    """``login(username, password)``: a new page logged in as that user."""

    def make(username, password, language="vi"):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=language)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch_csp(page)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form[novalidate] button[type=submit]")
        page.wait_for_load_state()
        return page

    return make


def watch_csp(page):
    """Collect the page's Content Security Policy violations in ``page.csp_violations``."""
    page.csp_violations = []
    page.on(
        "console",
        lambda message: page.csp_violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return page


def screenshot(page, name: str) -> None:
    """With SXSH_SCREENSHOTS=1 (``make screens``), keep a screenshot of a main page in docs/screens/."""
    if os.environ.get("SXSH_SCREENSHOTS") != "1":
        return
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
