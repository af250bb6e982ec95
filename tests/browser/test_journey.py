"""The whole reporting journey in a real browser (issue 3, item 9).

An officer fills and submits a report, a reviewer asks for changes on one item, the officer fixes
it and resubmits, the reviewer sees what changed and verifies, the officer answers a verdict and
a program admin publishes. On the way, an executable disguised as `report.pdf` must be refused
with a message the officer can read. Screenshots of each main page go to
test-artifacts/screenshots/ (git-ignored).
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments.models import Evidence, ItemVerdict, ProgressReport, ReportStatus
from tests.browser.conftest import expect
from tests.builders import commit, period_for, small_framework
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.samples import elf_bytes, pdf_bytes

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's password
ORG = "Harbourlight Fictional AI"
OFFICER = "officer@harbourlight.example"
REVIEWER = "reviewer@program.example"
ADMIN = "admin@program.example"

# (item title, status value, narrative); "Mitigation 1" carries the required metric.
ANSWERS = [
    ("Mitigation 1", "implemented", "Every upload is **hash-matched** against known abuse material."),
    ("Mitigation 2", "in_progress", "Red-teaming of image generation started in March."),
    ("Mitigation 3", "planned", "Provenance watermarking is planned for the next model release."),
]


@pytest.fixture
def journey_data(flushable_ledger):
    framework = small_framework()
    period = period_for(framework)
    organisation = OrganisationFactory(name=ORG, slug="harbourlight")
    commit(organisation, framework)
    MembershipFactory(organisation=organisation, role="officer", user__email=OFFICER)
    UserFactory(email=REVIEWER, platform_role="reviewer")
    UserFactory(email=ADMIN, platform_role="program_admin", is_staff=True)
    return period


@pytest.fixture
def sign_in(sign_in_with):
    def sign_in(email: str, screenshots: Path | None = None):
        screenshot = (lambda page: shot(page, screenshots, "01-login")) if screenshots else None
        return sign_in_with(email, PASSWORD, before_submit=screenshot)

    return sign_in


def shot(page, folder: Path, name: str) -> None:
    # From the top: a restored scroll position would draw the review page's sticky bar mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def item_card(page, title: str, role: str = "article"):
    """An item: an <article> in the editor, a <section> (region) on the review page."""
    return page.get_by_role(role, name=title, exact=True)


def save_item(card) -> None:
    """Save one item through htmx; the item is swapped for a fresh copy that says it was saved."""
    card.get_by_role("button", name="Save item").click()
    expect(card.get_by_role("status").filter(has_text="✓ Saved")).to_be_visible()


def record_verdict(page, title: str, verdict: str, justification: str) -> None:
    card = item_card(page, title, "region")
    card.get_by_label(re.compile("verdict$", re.I)).select_option(verdict)
    card.get_by_label("Justification").fill(justification)
    card.get_by_role("button", name="Record verdict").click()
    expect(card.get_by_role("status")).to_have_text("Verdict recorded.")


def media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


@pytest.mark.django_db(transaction=True)
def test_report_journey(sign_in, journey_data, screenshots, tmp_path):
    period = journey_data

    # --- the officer fills the report -----------------------------------------------------------
    officer = sign_in(OFFICER, screenshots)
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    expect(officer.get_by_role("heading", name="Your workspace")).to_be_visible()
    expect(officer.get_by_role("heading", name=ORG)).to_be_visible()
    officer.get_by_role("button", name="Start report").click()
    expect(officer.get_by_text(f"Report for {period.label} started.")).to_be_visible()
    report = ProgressReport.objects.get(organisation__slug="harbourlight", period=period)
    editor_url = officer.url
    officer.get_by_role("link", name="Workspace").first.click()
    expect(officer.get_by_role("link", name="Continue report")).to_be_visible()
    shot(officer, screenshots, "02-dashboard")
    officer.get_by_role("link", name="Continue report").click()
    expect(officer.get_by_text("0 of 3 items answered")).to_be_visible()

    for title, status, narrative in ANSWERS:
        card = item_card(officer, title)
        card.get_by_label("Implementation status").select_option(status)
        card.get_by_label("What has been done").fill(narrative)
        if title == "Mitigation 1":
            card.get_by_label(re.compile("^Reports made")).fill("1250")
            card.get_by_label("Data source (required)").fill("Trust & safety case system, Q4 export")
        card.get_by_label("Areas still needing progress").fill("Coverage of live video.")
        save_item(card)

    # A program renamed to report.pdf is refused with a readable message, and nothing is stored.
    card = item_card(officer, "Mitigation 1")
    disguised = tmp_path / "report.pdf"
    disguised.write_bytes(elf_bytes())
    stored_before = media_files()
    card.locator("summary", has_text="Attach evidence").click()
    card.get_by_label("File", exact=True).set_input_files(disguised)
    card.get_by_label("Title").fill("Hash-matching policy")
    card.get_by_label("Effective date").fill("2026-02-01")
    card.get_by_role("button", name="Attach evidence").click()
    refusal = "This file is an executable program (ELF), not a document."
    expect(card.get_by_text(refusal)).to_be_visible()
    assert not Evidence.objects.filter(item__report=report).exists()
    assert media_files() == stored_before

    # A real PDF is accepted (the form stayed open after the refusal).
    document = tmp_path / "hash-matching-policy.pdf"
    document.write_bytes(pdf_bytes())
    card.get_by_label("File", exact=True).set_input_files(document)
    card.get_by_label("Title").fill("Hash-matching policy")
    card.get_by_label("Effective date").fill("2026-02-01")
    card.get_by_role("button", name="Attach evidence").click()
    expect(card.get_by_role("status")).to_have_text("✓ Evidence added")
    expect(card.get_by_role("link", name="Hash-matching policy")).to_be_visible()
    evidence = Evidence.objects.get(item__report=report)
    assert (evidence.media_type, evidence.original_name) == ("application/pdf", "hash-matching-policy.pdf")

    officer.reload()
    expect(officer.get_by_text("3 of 3 items answered")).to_be_visible()
    shot(officer, screenshots, "03-editor")
    officer.get_by_role("button", name="Submit for review").click()
    expect(officer.get_by_text("Report submitted for review.")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.revision) == (ReportStatus.SUBMITTED, 1)

    # --- the reviewer asks for changes on one item ----------------------------------------------
    reviewer = sign_in(REVIEWER)  # a first sign-in: the role makes them set up an authenticator app
    assert TOTPDevice.objects.filter(user__email=REVIEWER, confirmed=True).count() == 1
    reviewer.get_by_role("link", name="Review queue").click()
    expect(reviewer.get_by_role("heading", name="Review queue")).to_be_visible()
    shot(reviewer, screenshots, "04a-review-queue")
    reviewer.get_by_role("link", name=f"Open review of {ORG}").click()
    reviewer.get_by_role("button", name="Start review").click()
    expect(reviewer.get_by_text("Review started.")).to_be_visible()
    record_verdict(reviewer, "Mitigation 1", "needs_information", "Which services does the matching cover?")
    record_verdict(reviewer, "Mitigation 2", "verified", "Red-team plan and first findings seen.")
    record_verdict(reviewer, "Mitigation 3", "verified", "Roadmap entry seen.")
    changes = reviewer.get_by_role("region", name="Request changes")
    for title, *_ in ANSWERS:
        changes.get_by_role("checkbox", name=title).set_checked(title == "Mitigation 1")
    changes.get_by_label("Message to the officers").fill("Please name the services the matching covers.")
    changes.get_by_role("button", name="Request changes").click()
    expect(reviewer.get_by_text("Changes requested on 1 item(s).")).to_be_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.CHANGES_REQUESTED

    # --- the officer fixes that item and resubmits ----------------------------------------------
    officer.goto(editor_url)
    expect(officer.get_by_text("Changes requested").first).to_be_visible()
    shot(officer, screenshots, "04b-editor-changes-requested")
    card = item_card(officer, "Mitigation 1")
    fixed = "Every upload to chat, image and video services is **hash-matched** against known abuse material."
    card.get_by_label("What has been done").fill(fixed)
    save_item(card)
    officer.get_by_role("button", name="Submit for review").click()
    expect(officer.get_by_text("Report submitted for review.")).to_be_visible()

    # --- the reviewer sees what changed and verifies --------------------------------------------
    reviewer.get_by_role("link", name="Review queue").click()
    expect(reviewer.get_by_text("resubmission")).to_be_visible()
    reviewer.get_by_role("link", name=f"Open review of {ORG}").click()
    expect(reviewer.get_by_text("1 item changed")).to_be_visible()
    changed = item_card(reviewer, "Mitigation 1", "region")
    expect(changed.get_by_text("Changed since revision 1", exact=True)).to_be_visible()
    expect(changed.get_by_role("heading", name="What changed since revision 1")).to_be_visible()
    expect(changed.locator("ins")).to_contain_text("chat, image and video services")
    expect(
        item_card(reviewer, "Mitigation 2", "region").get_by_text("Unchanged since revision 1")
    ).to_be_visible()
    reviewer.get_by_role("button", name="Start review").click()
    expect(reviewer.get_by_text("Review started.")).to_be_visible()
    record_verdict(reviewer, "Mitigation 1", "verified", "Policy and coverage list seen.")
    record_verdict(reviewer, "Mitigation 2", "verified", "Red-team plan and first findings seen.")
    record_verdict(reviewer, "Mitigation 3", "partially_verified", "Roadmap seen; no date committed.")
    reviewer.reload()
    shot(reviewer, screenshots, "05-review-page")
    reviewer.get_by_role("button", name="Verify report").click()
    expect(reviewer.get_by_text("report is verified")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.revision) == (ReportStatus.VERIFIED, 2)
    assert ItemVerdict.objects.filter(item__report=report, report_revision=2).count() == 3

    # --- the officer answers a verdict ----------------------------------------------------------
    officer.goto(f"/reports/{report.pk}/")
    officer.get_by_role("link", name=re.compile("Verdicts, discussion")).click()
    officer.wait_for_url(f"**/review/reports/{report.pk}/")
    card = item_card(officer, "Mitigation 3", "region")
    response = "A release date will be committed once the watermarking evaluation ends in June."
    card.get_by_label(re.compile("^Your response to the verdict")).fill(response)
    card.get_by_role("button", name="Add response").click()
    expect(card.get_by_role("status")).to_have_text("Company response added.")
    expect(card.locator("blockquote.response")).to_contain_text("watermarking evaluation")

    # --- the program admin publishes ------------------------------------------------------------
    admin = sign_in(ADMIN)
    admin.get_by_role("link", name="Program overview").click()
    expect(admin.get_by_role("heading", name="Program overview")).to_be_visible()
    row = admin.get_by_role("row").filter(has_text=ORG)
    expect(row.get_by_text("Verified", exact=True)).to_be_visible()
    row.get_by_role("button", name=f"Publish {ORG}'s report").click()
    expect(admin.get_by_text(f"Published {ORG}'s {period.label} report (version 1).")).to_be_visible()
    expect(row.get_by_text("Published", exact=True)).to_be_visible()
    shot(admin, screenshots, "06-program-overview")
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED
    assert report.published_at is not None
    assert report.publications.count() == 1

    admin.goto(f"/reports/{report.pk}/history/")
    expect(admin.get_by_role("heading", name=re.compile("^History of"))).to_be_visible()
    expect(admin.get_by_role("row").filter(has_text="Company response")).not_to_have_count(0)
    shot(admin, screenshots, "07-history")

    officer.goto(editor_url)
    expect(officer.get_by_text("Published").first).to_be_visible()
    shot(officer, screenshots, "08-editor-published")


def _report_at(period, status: str) -> ProgressReport:
    """The journey's report walked along the happy path by the services, up to `status`."""
    from accounts.models import User
    from commitments.services.reports import report_create
    from tests.builders import advance

    officer, reviewer = User.objects.get(email=OFFICER), User.objects.get(email=REVIEWER)
    organisation = officer.memberships.get().organisation
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    return advance(report, status, officer=officer, reviewer=reviewer)


@pytest.mark.django_db(transaction=True)
def test_editor_shows_the_requested_changes(sign_in, journey_data):
    report = _report_at(journey_data, ReportStatus.CHANGES_REQUESTED)
    officer = sign_in(OFFICER)
    officer.goto(f"/reports/{report.pk}/")
    expect(officer.get_by_text("Changes requested").first).to_be_visible()
    expect(officer.get_by_text("More detail")).to_be_visible(timeout=2_000)  # builders.advance's message


@pytest.mark.django_db(transaction=True)
def test_editor_of_a_verified_report_leads_to_the_company_response(sign_in, journey_data):
    report = _report_at(journey_data, ReportStatus.VERIFIED)
    officer = sign_in(OFFICER)
    officer.goto(f"/reports/{report.pk}/")
    expect(officer.get_by_text("This report is verified")).to_be_visible()
    expect(officer.locator(f"a[href='/review/reports/{report.pk}/']")).not_to_have_count(0, timeout=2_000)
