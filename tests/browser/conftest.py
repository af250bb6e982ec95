"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Chromium comes from the system package (/usr/bin/chromium); Playwright's own browser download is
not used. Without it the tests skip locally, with the reason printed, but fail under CI=true:
nothing may silently skip in CI (STYLE.md rule 14).
"""

import os
import re
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

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under CI
    expect = None
else:
    expect.set_options(timeout=TIMEOUT_MS)


def give_second_factor(page, email: str) -> None:
    """After the password: type the code the person's app would show, or set the app up first.

    The code step computes the code from the account's authenticator secret (as the app does);
    the forced set-up reads the secret the page shows for typing in, confirms with its code and
    goes on past the recovery codes. A person with no app and no need of one sees neither.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from accounts.second_factor import totp_code_now
    from tests.builders import app_code

    heading = page.get_by_role("heading", level=1).first
    expect(heading).to_be_visible()
    if heading.inner_text() == "Enter your code":
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        page.get_by_label("6-digit code from your authenticator app, or a recovery code").fill(
            totp_code_now(device)
        )
        page.get_by_role("button", name="Continue").click()
    elif heading.inner_text() == "Set up your authenticator app":
        secret = page.locator(".secret code").inner_text()
        page.get_by_label("6-digit code the app shows").fill(app_code(secret))
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        page.get_by_role("link", name="I have saved them: continue").click()
    expect(
        page.get_by_role("heading", name=re.compile("^(Enter your code|Set up your authenticator app)$"))
    ).to_have_count(0)


@pytest.fixture
def sign_in_with(browser, live_server) -> Iterator[Callable]:
    """Sign a person in through the real login form, each in a browser context of their own.

    `sign_in_with(email, password, before_submit=None)`; `before_submit(page)` runs on the
    filled-in login page (e.g. to take its screenshot). Program staff and auditors then give
    their second factor (give_second_factor).
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
        give_second_factor(page, email)
        return page

    yield sign_in
    for context in contexts:
        context.close()
