"""No serious or critical accessibility violations on any public page type (issue 4, item 7).

axe-core (the npm package pinned in package.json, installed by `make test`) runs inside Debian's
Chromium on each kind of page a visitor reaches without signing in, on the demo data built by
`load_frameworks` and `seed_demo` through the services: the matrix and a principle drill-down,
an organisation, a report and a superseded version of it, items (with restricted evidence, with
metrics, with a company response), the methodology, the corrections log, the open-data
pages, and the sign-in page. Both a desktop and a phone-sized viewport are checked, since the
layout (and so contrast over backgrounds, target sizes, reflow) changes between them.

Without node_modules/axe-core the test skips locally, with the reason printed, and fails under
CI=true, as a missing Chromium does.
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from commitments.models import ImplementationStatus, ItemResponse, ProgressReport
from demo.world import DEMO_DOMAIN
from reports.services import publication_correct

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
TIMEOUT_MS = 15_000
CORRECTION = "The roll-out figure was stated for the wrong quarter; the company sent the right one."


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.is_file():
        reason = f"axe-core not found at {AXE.relative_to(ROOT)} (run `npm ci` or `make test`)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (the accessibility test must run under CI=true)", pytrace=False)
        print(f"\nSkipping the accessibility test: {reason}")
        pytest.skip(reason)
    return AXE


@pytest.fixture
def public_urls(flushable_ledger, settings) -> list[tuple[str, str]]:
    """The demo world, one correction, and a URL for each public page type (name, path)."""
    settings.DEBUG = True  # seed_demo refuses to create known passwords with DEBUG off
    call_command("load_frameworks", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False

    report = ProgressReport.objects.select_related("organisation", "period__framework").get(
        organisation__slug="northwind", period__label="2025"
    )
    items = report.items.select_related("node").order_by("node__position")
    with_restricted = next(i for i in items if i.evidence.filter(visibility="restricted").exists())
    with_metrics = next(i for i in items if i.metric_values.exists())
    with_response = next(i for i in items if i.status == ImplementationStatus.IN_PROGRESS)
    # Arrange a correction: no service edits a published report's content yet (an admin-approved
    # fix is outside issue 4), so the ORM stands in for it, as in tests/reports.
    ItemResponse.objects.filter(pk=with_response.pk).update(narrative="Roll-out reached 80% of surfaces.")
    admin = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
    publication_correct(report=report, acting_user=admin, reason=CORRECTION)

    org, framework, period = report.organisation.slug, report.period.framework.key, report.period.label
    principle = with_restricted.node.parent  # the matrix drills down one level above the items
    return [
        ("matrix", reverse("home")),
        ("matrix, principle drill-down", reverse("home") + f"?principle={principle.node_id}"),
        ("matrix, earlier period", reverse("home") + "?period=2024"),
        ("organisation", reverse("public:organisation", args=[org])),
        ("report", reverse("public:report", args=[org, framework, period])),
        ("report, superseded version", reverse("public:report_version", args=[org, framework, period, 1])),
        (
            "item with restricted evidence",
            reverse("public:item", args=[org, framework, period, with_restricted.node.node_id]),
        ),
        (
            "item with metrics",
            reverse("public:item", args=[org, framework, period, with_metrics.node.node_id]),
        ),
        (
            "item with a company response",
            reverse("public:item", args=[org, framework, period, with_response.node.node_id]),
        ),
        ("methodology", reverse("public:methodology")),
        ("corrections", reverse("public:corrections")),
        ("open data index", reverse("data:index")),
        ("open data for a period", reverse("data:period", args=[framework, period])),
        ("sign-in", reverse("accounts:login")),
    ]


def _describe(page_name: str, viewport: str, violation: dict) -> str:
    lines = [
        f"[{page_name}, {viewport}] {violation['impact']}: {violation['id']}: {violation['help']}",
        f"    {violation['helpUrl']}",
    ]
    for node in violation["nodes"][:5]:
        target = " ".join(str(part) for part in node["target"])
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        lines.append(f"    - {target}: {summary}")
        lines.append(f"      {node['html'][:200]}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    ... and {len(violation['nodes']) - 5} more element(s)")
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
def test_public_pages_have_no_serious_or_critical_accessibility_violations(
    browser, live_server, axe_script, public_urls
):
    problems: list[str] = []
    checked = 0
    axe_source = axe_script.read_text(encoding="utf-8")
    for viewport, size in VIEWPORTS.items():
        context = browser.new_context(base_url=live_server.url, viewport=size)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            for name, url in public_urls:
                response = page.goto(url)
                assert response is not None and response.status == 200, f"{name}: {url} answered {response}"
                problems.extend(_axe_problems(page, axe_source, f"{name} ({url})", viewport))
                checked += 1
        finally:
            context.close()

    assert checked == len(VIEWPORTS) * len(public_urls)
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def _axe_problems(page, axe_source: str, name: str, viewport: str) -> list[str]:
    # Evaluated by the test driver, not added as a <script> element: the page's
    # Content-Security-Policy rightly refuses inline scripts, and the pages are checked as
    # visitors get them, with the policy on.
    page.evaluate(axe_source)
    results = page.evaluate("async () => await axe.run(document)")
    assert results["passes"], f"axe-core checked nothing on {name}"
    return [_describe(name, viewport, v) for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


@pytest.mark.django_db(transaction=True)
def test_the_second_factor_pages_have_no_serious_or_critical_accessibility_violations(
    browser, live_server, axe_script, flushable_ledger
):
    """The code step, the forced set-up (QR code and secret) and the recovery codes, on a phone too."""
    from tests.builders import app_code, authenticator_for
    from tests.factories import UserFactory

    problems: list[str] = []
    axe_source = axe_script.read_text(encoding="utf-8")
    for viewport, size in VIEWPORTS.items():
        with_app = UserFactory(platform_role="auditor")
        authenticator_for(with_app)
        without_app = UserFactory(platform_role="reviewer")
        context = browser.new_context(base_url=live_server.url, viewport=size)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            for person in (with_app, without_app):
                page = context.new_page()
                page.goto(reverse("accounts:login"))
                page.get_by_label("Email address").fill(person.email)
                page.get_by_label("Password").fill("correct horse battery")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
                name = page.get_by_role("heading", level=1).inner_text()
                assert name in ("Enter your code", "Set up your authenticator app")
                problems.extend(_axe_problems(page, axe_source, name, viewport))
                if person is without_app:
                    page.get_by_label("6-digit code the app shows").fill(
                        app_code(page.locator(".secret code").inner_text())
                    )
                    page.get_by_role("button", name="Confirm").click()
                    page.get_by_role("heading", name="Your recovery codes").wait_for()
                    problems.extend(_axe_problems(page, axe_source, "recovery codes", viewport))
                page.close()
                context.clear_cookies()
        finally:
            context.close()

    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)
