"""Browser tests: Playwright driving Debian's Chromium (never `playwright install`)."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
CSP_VIOLATIONS: list[str] = []  # what Chromium reported the Content-Security-Policy blocked


def _watched(context):
    """A browser context whose pages report what the Content-Security-Policy blocks."""
    def watch(page):
        page.on("console", lambda message: CSP_VIOLATIONS.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)
    context.on("page", watch)
    return context


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = "Debian chromium is not installed (make test installs it when run as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        new_context = chromium.new_context
        chromium.new_context = lambda *args, **kwargs: _watched(new_context(*args, **kwargs))
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def nothing_blocked_by_the_csp():
    """Every page of every browser test runs under the site's Content-Security-Policy: an inline
    script or a handler it blocks (a dead button, a display that never starts) fails the test."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS


@pytest.fixture(autouse=True)
def open_hall(request):
    """Browser journeys run while the centres are open (tickets are issued only on working days
    within hours): on the next working morning, or now if it is one."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    import time_machine

    from servicehall.testing import next_working_morning
    from servicehall.workcalendar.selectors import get_calendar

    with time_machine.travel(next_working_morning(get_calendar()), tick=True):
        yield


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    """A device page fits its screen's width (no horizontal scrolling).

    Waits for the page to finish loading first: right after a click that navigates, the new
    document can be committed with no element yet (CI once read `documentElement` as null).
    """
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a printed document (`page.pdf()`)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is true. Playwright's wait_for_function compiles
    its predicate with eval, which the site's Content-Security-Policy forbids; evaluate does
    not."""
    import time

    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error:  # the page is navigating (a form just posted): ask the next one
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g} s: {expression}")
        page.wait_for_timeout(50)
