"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Chromium comes from the system package (/usr/bin/chromium); Playwright's own browser download is
not used. Without it the tests skip locally, with the reason printed, but fail under CI=true:
nothing may silently skip in CI (STYLE.md rule 14).
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PLEDGEPROOF_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (browser tests must run under CI=true)", pytrace=False)
    print(f"\nSkipping browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One Chromium per test module.

    Playwright's sync API keeps an asyncio event loop running in the main thread for as long as
    it is open, and Django then refuses every ORM call from that thread (SynchronousOnlyOperation:
    "you cannot call this from an async context"), including pytest-django's own set-up and flush.
    The calls are in fact synchronous, so Django's check is switched off while the browser is
    open, and only then: module scope closes Playwright, and restores the check, before the rest of
    the suite (tests/commitments, tests/reports...) runs. A session-scoped browser would leave the
    loop running, and the check off, for every test collected after tests/browser.
    """
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


TIMEOUT_MS = 10_000  # for actions and assertions alike; a slow CI machine gets some slack


@pytest.fixture
def sign_in_with(browser, live_server) -> Iterator[Callable]:
    """Sign a person in through the real login form, each in a browser context of their own.

    `sign_in_with(email, password, before_submit=None)`; `before_submit(page)` runs on the
    filled-in login page (e.g. to take its screenshot).
    """
    from playwright.sync_api import expect

    contexts = []

    def sign_in(email: str, password: str, before_submit: Callable | None = None):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        if before_submit is not None:
            before_submit(page)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    yield sign_in
    for context in contexts:
        context.close()
