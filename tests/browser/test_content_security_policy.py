"""Every main page works under the Content-Security-Policy, htmx included (issue 10, item 6).

The policy allows scripts and styles from the site's own files only, so an inline script, an event
handler attribute, a style="" attribute or a <style> block would be refused by the browser, which
says so on the console ("Refused to apply inline style because it violates the following Content
Security Policy directive..."). On the demo data built by `load_frameworks` and `seed_demo`, each
kind of person visits their pages in Debian's Chromium; any such message, or any script error,
fails the test. The htmx updates must still work: the workspace editor's preview and save, a
reviewer's verdict, the documents page refreshing itself while a PDF is pending, and the program
overview's period picker submitting on change. Screenshots go to
test-artifacts/screenshots/csp-*.png (git-ignored).
"""

import io
import re
import threading
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from commitments.models import ItemResponse, Organisation, ProgressReport
from demo.world import DEMO_DOMAIN, DEMO_PASSWORD
from reports.pdf.services import artifact_render, artifact_request
from reports.tasks import artifact_render_task
from tests.browser.conftest import TIMEOUT_MS, expect

pytestmark = pytest.mark.browser

# Chromium's words for a blocked resource or inline code; other console output is not our concern.
REFUSAL = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


class Watcher:
    """Collects, for every page it watches, CSP refusals on the console and uncaught script errors."""

    def __init__(self, screenshots):
        self.problems: list[str] = []
        self.screenshots = screenshots

    def watch(self, page):
        def on_console(message) -> None:
            if REFUSAL.search(message.text):
                self.problems.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error: {error}"))
        return page

    def visit(self, page, url: str, name: str, *, status: int = 200) -> None:
        response = page.goto(url)
        assert response is not None and response.status == status, f"{name}: {url} answered {response}"
        policy = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in policy, f"{name}: {url} has no script policy: {policy!r}"
        page.wait_for_load_state("load")
        self.shot(page, name)

    def shot(self, page, name: str) -> None:
        page.screenshot(path=self.screenshots / f"csp-{name}.png", full_page=False)


@pytest.fixture
def demo(flushable_ledger, settings):
    settings.DEBUG = True  # seed_demo refuses to create known passwords with DEBUG off
    call_command("load_frameworks", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


@pytest.fixture
def watcher(screenshots) -> Watcher:
    return Watcher(screenshots)


@pytest.fixture
def sign_in(sign_in_with, watcher) -> Callable:
    return lambda email: watcher.watch(sign_in_with(email, DEMO_PASSWORD))


def _report(slug: str, period: str = "2025") -> ProgressReport:
    return ProgressReport.objects.select_related("organisation", "period__framework").get(
        organisation__slug=slug, period__label=period
    )


def _public_pages(watcher: Watcher, page) -> None:
    report = _report("northwind")
    org, framework, period = report.organisation.slug, report.period.framework.key, report.period.label
    item = report.items.select_related("node").order_by("node__position").first()
    for name, url in [
        ("matrix", reverse("home")),
        ("organisation", reverse("public:organisation", args=[org])),
        ("report", reverse("public:report", args=[org, framework, period])),
        ("item", reverse("public:item", args=[org, framework, period, item.node.node_id])),
        ("methodology", reverse("public:methodology")),
        ("corrections", reverse("public:corrections")),
        ("verify", reverse("verify:index")),
        ("data-index", reverse("data:index")),
        ("data-period", reverse("data:period", args=[framework, period])),
        ("login", reverse("accounts:login")),
        ("password-reset", reverse("accounts:password_reset")),
        ("admin-login", reverse("admin:login")),
        ("api-problems", reverse("api:problems")),
    ]:
        watcher.visit(page, url, name)
    # Swagger UI, from the app's own static files, draws the operations from the live schema.
    watcher.visit(page, reverse("api:docs"), "api-docs")
    expect(page.get_by_text("/api/v1/frameworks/", exact=True).first).to_be_visible()
    watcher.shot(page, "api-docs")
    watcher.visit(page, "/no/such/page/", "not-found", status=404)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def _officer_edits_with_htmx(watcher: Watcher, page) -> None:
    report = _report("tamarind")
    watcher.visit(page, reverse("commitments:dashboard"), "workspace")
    watcher.visit(page, reverse("commitments:report_edit", kwargs={"report_id": report.pk}), "editor")
    item = report.items.select_related("node").order_by("node__position").first()
    card = page.locator(f"#item-{item.pk}")
    card.get_by_label("What has been done").fill("Every upload is **checked** before it is stored.")
    card.get_by_role("button", name="Preview narrative").click()
    expect(card.locator(".ws-preview strong", has_text="checked")).to_be_visible()
    card.get_by_role("button", name="Save item").click()
    expect(card.get_by_role("status").filter(has_text="✓ Saved")).to_be_visible()
    assert ItemResponse.objects.get(pk=item.pk).narrative.startswith("Every upload is **checked**")
    watcher.shot(page, "editor-saved")

    watcher.visit(page, reverse("api_tokens:list"), "api-tokens")
    page.get_by_label("Name").fill("Quarterly upload")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    watcher.shot(page, "api-token-made")
    # The browsable API, signed in by the session.
    watcher.visit(page, reverse("api:framework-list"), "api-browsable")


def _reviewer_records_a_verdict_with_htmx(watcher: Watcher, page) -> None:
    watcher.visit(page, reverse("commitments:review_queue"), "review-queue")
    report = _report("quillfeather")
    watcher.visit(page, reverse("commitments:report_review", args=[report.pk]), "review")
    expect(page.get_by_role("progressbar", name="Items with a verdict")).to_be_visible()
    item = report.items.order_by("node__position").first()
    card = page.locator(f"section#item-{item.pk}")
    card.get_by_label(re.compile("verdict$", re.IGNORECASE)).select_option("verified")
    card.get_by_label("Justification").fill("Policy document seen; it covers every surface.")
    card.get_by_role("button", name="Record verdict").click()
    expect(card.get_by_role("status")).to_have_text("Verdict recorded.")
    watcher.shot(page, "review-verdict")


def _admin_pages(watcher: Watcher, page, monkeypatch) -> None:
    admin = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
    published = _report("northwind")

    # The period picker submits itself on change (a static script, not an onchange attribute).
    watcher.visit(page, reverse("reports:overview"), "program-overview")
    picker = page.get_by_label("Reporting period")
    option = picker.locator("option", has_text=re.compile(r"— 2024$")).text_content().strip()
    with page.expect_navigation():
        picker.select_option(label=option)
    expect(page.get_by_text("period 2024 (")).to_be_visible()
    assert "period=" in page.url

    watcher.visit(page, reverse("accounts:invite"), "invitations")
    watcher.visit(page, reverse("reports:report_correct", args=[published.pk]), "correct")
    watcher.visit(page, reverse("documents:index"), "documents")

    # A pending PDF: the page asks again every few seconds through htmx until it is ready.
    monkeypatch.setattr(artifact_render_task, "delay", lambda *args, **kwargs: None)
    artifact = artifact_request(kind="public", acting_user=admin, report=published)
    watcher.visit(page, reverse("documents:report", kwargs={"report_id": published.pk}), "documents-pending")
    expect(page.get_by_text("⏳ Pending")).to_be_visible()
    # Rendered as the worker would, in a thread of its own: Playwright's event loop runs in this one.
    worker = threading.Thread(target=artifact_render, args=(artifact.pk,))
    worker.start()
    worker.join(timeout=60)
    expect(page.get_by_text("✓ Ready")).to_be_visible(timeout=30_000)
    watcher.shot(page, "documents-ready")

    organisation = Organisation.objects.get(slug="northwind")
    for name, url in [
        ("admin-index", reverse("admin:index")),
        ("admin-organisations", reverse("admin:commitments_organisation_changelist")),
        ("admin-organisation", reverse("admin:commitments_organisation_change", args=[organisation.pk])),
        ("admin-users", reverse("admin:accounts_user_changelist")),
        ("admin-user", reverse("admin:accounts_user_change", args=[admin.pk])),
    ]:
        watcher.visit(page, url, name)


@pytest.mark.django_db(transaction=True)
def test_main_pages_break_no_rule_of_the_content_security_policy(
    browser, live_server, demo, watcher, sign_in, monkeypatch
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        _public_pages(watcher, watcher.watch(context.new_page()))
    finally:
        context.close()
    _officer_edits_with_htmx(watcher, sign_in(f"officer@tamarind.{DEMO_DOMAIN}"))
    _reviewer_records_a_verdict_with_htmx(watcher, sign_in(f"reviewer@{DEMO_DOMAIN}"))
    _admin_pages(watcher, sign_in(f"admin@{DEMO_DOMAIN}"), monkeypatch)

    assert watcher.problems == [], "\n".join(watcher.problems)


@pytest.mark.django_db(transaction=True)
def test_the_browser_refuses_inline_code_the_policy_forbids(browser, live_server, watcher):
    """The other test's silence means something: the browser does enforce the policy, and says so."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = watcher.watch(context.new_page())
        watcher.visit(page, reverse("public:methodology"), "methodology")
        injected = '<p id="probe" style="color: rgb(255, 0, 0)">probe</p><img src=x onerror="window.ran = 1">'
        page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", injected)
        expect(page.locator("#probe")).to_be_attached()
        page.wait_for_timeout(200)  # the refused handler would have run by now
        assert page.evaluate("() => window.ran") is None
        colour = page.evaluate("() => getComputedStyle(document.getElementById('probe')).color")
        assert colour != "rgb(255, 0, 0)"
    finally:
        context.close()
    assert any("style-src" in problem for problem in watcher.problems), watcher.problems
    assert any("script-src" in problem for problem in watcher.problems), watcher.problems
