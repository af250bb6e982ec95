"""The whole reporting journey in a real browser, on the demo data (issue 3, "Done when").

`load_frameworks` and `seed_demo` build the same world a person trying Pledgeproof sees: the real
Safety by Design framework (21 mitigations) and fictional organisations with reports in every
state. On it, Tamarind Image Works' officer edits an item of the filled-in 2025 draft and submits;
the reviewer records a verdict on every item and asks for changes on one; the officer fixes it and
resubmits; the reviewer sees what changed, records verdicts again and verifies; the officer adds a
company response and the program admin publishes. Orchard's officer, whose report the demo left
with changes requested, must see the reviewer's request too. Screenshots go to
test-artifacts/screenshots/demo-*.png (git-ignored).
"""

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments.models import (
    ImplementationStatus,
    ItemResponse,
    ItemVerdict,
    ProgressReport,
    ReportStatus,
)
from commitments.services.ledger import ledger_verify
from demo.world import DEMO_DOMAIN, DEMO_PASSWORD
from tests.browser.conftest import expect

pytestmark = pytest.mark.browser

ORG = "Tamarind Image Works"
OFFICER = f"officer@tamarind.{DEMO_DOMAIN}"
ORCHARD_OFFICER = f"officer@orchard.{DEMO_DOMAIN}"
REVIEWER = f"reviewer@{DEMO_DOMAIN}"
ADMIN = f"admin@{DEMO_DOMAIN}"
PERIOD = "2025"

# Items of the Safety by Design framework the journey touches (code, title).
EDITED = ("M7", "Detect abuse material in inputs and outputs on every surface")  # one required metric
FLAGGED = ("M9", "Enforcement: warnings, strikes and account bans")  # one required metric
ANSWERED = ("M6", "Content provenance on image and video outputs")  # planned: not verified

# What a careful reviewer would say about each kind of answer.
VERDICTS = {
    ImplementationStatus.IMPLEMENTED: ("verified", "Evidence shows the control in operation."),
    ImplementationStatus.IN_PROGRESS: ("partially_verified", "Credible plan; roll-out not complete."),
    ImplementationStatus.NOT_APPLICABLE: ("verified", "No service this applies to."),
    ImplementationStatus.PLANNED: ("not_verified", "Only planned; nothing in place yet."),
}


@pytest.fixture
def demo_world(flushable_ledger, settings):
    """The demo data, created by the management commands exactly as a developer runs them."""
    settings.DEBUG = True  # seed_demo refuses to create known passwords with DEBUG off
    call_command("load_frameworks", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False  # the live server then runs as the rest of the suite does
    return ProgressReport.objects.select_related("period").get(
        organisation__slug="tamarind", period__label=PERIOD
    )


@pytest.fixture
def sign_in(sign_in_with) -> Callable:
    return lambda email: sign_in_with(email, DEMO_PASSWORD)


def shot(page, folder: Path, name: str, *, full_page: bool = True, item=None) -> None:
    """The page from the top; long pages (21 items) only their first screen, which is much faster.

    With `item`, that item's card is saved too, as demo-<name>-item.png.
    """
    page.evaluate("window.scrollTo(0, 0)")  # a restored scroll position would draw sticky bars mid-page
    page.screenshot(path=folder / f"demo-{name}.png", full_page=full_page)
    if item is not None:
        item.screenshot(path=folder / f"demo-{name}-item.png")


def editor_item(page, code_title: tuple[str, str]):
    """An item of the editor: an <article> named by its heading, "M7 Detect abuse ..."."""
    code, title = code_title
    return page.get_by_role("article", name=f"{code} {title}", exact=True)


def review_item(page, code_title: tuple[str, str]):
    """An item of the review page: a <section> (region) named by its heading, "M7 · Detect ..."."""
    code, title = code_title
    return page.get_by_role("region", name=f"{code} · {title}", exact=True)


def save_item(card) -> None:
    card.get_by_role("button", name="Save item").click()
    expect(card.get_by_role("status").filter(has_text="✓ Saved")).to_be_visible()


def open_report_from_workspace(page, link: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    expect(page.get_by_role("heading", name="Your workspace")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_text(PERIOD, exact=True))
    row.get_by_role("link", name=link).click()


def record_all_verdicts(page, report: ProgressReport, special: dict[str, tuple[str, str]]) -> None:
    """A verdict on every item through its htmx form, waiting for each item to be swapped back."""
    items = ItemResponse.objects.filter(report=report).select_related("node").order_by("node__position")
    for item in items:
        verdict, why = special.get(item.node.code) or VERDICTS[item.status]
        # By the section's id, which survives the swap: 21 look-ups by accessible name over the
        # whole page would cost several seconds. review_item() checks the names elsewhere.
        card = page.locator(f"section#item-{item.pk}")
        card.get_by_label(re.compile("verdict$", re.I)).select_option(verdict)
        card.get_by_label("Justification").fill(why)
        card.get_by_role("button", name="Record verdict").click()
        expect(card.get_by_role("status")).to_have_text("Verdict recorded.")


def verdict_progress(page, count: int) -> None:
    bar = page.get_by_role("progressbar", name="Items with a verdict")
    expect(bar).to_have_attribute("value", str(count))


@pytest.mark.django_db(transaction=True)
def test_demo_journey(sign_in, demo_world, screenshots):
    report = demo_world
    total = report.items.count()
    assert (report.status, total) == (ReportStatus.DRAFT, 21)

    # --- Tamarind's officer edits one item of the filled-in draft and submits --------------------
    officer = sign_in(OFFICER)
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    expect(officer.get_by_role("heading", name=ORG)).to_be_visible()
    row = officer.get_by_role("row").filter(has=officer.get_by_text(PERIOD, exact=True))
    expect(row.get_by_text("Draft", exact=True)).to_be_visible()
    expect(row.get_by_text(f"{total} of {total} answered")).to_be_visible()
    shot(officer, screenshots, "01-workspace")
    row.get_by_role("link", name="Continue report").click()
    expect(officer.get_by_role("heading", name=re.compile(rf" — {PERIOD}$"))).to_be_visible()
    expect(officer.get_by_text(f"{total} of {total} items answered")).to_be_visible()

    card = editor_item(officer, EDITED)
    card.get_by_label("Implementation status").select_option("implemented")
    narrative = (
        "Every prompt and every generated image is **classified** before it is shown, on all surfaces."
    )
    card.get_by_label("What has been done").fill(narrative)
    card.get_by_label(re.compile("^Generation attempts blocked")).fill("48211")
    card.get_by_label("Data source (required)").fill("Safety classifier logs, export of 31 December")
    save_item(card)
    edited = ItemResponse.objects.get(report=report, node__code=EDITED[0])
    assert (edited.status, edited.narrative) == ("implemented", narrative)
    assert edited.metric_values.get().value == 48211
    shot(officer, screenshots, "02-editor", full_page=False, item=editor_item(officer, EDITED))

    officer.get_by_role("button", name="Submit for review").click()
    expect(officer.get_by_text("Report submitted for review.")).to_be_visible()
    expect(officer.get_by_text("can no longer be edited until a reviewer asks for changes")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.revision) == (ReportStatus.SUBMITTED, 1)

    # --- the reviewer records a verdict on every item and asks for changes on one ----------------
    reviewer = sign_in(REVIEWER)  # with the code of the demo's printed authenticator secret
    assert TOTPDevice.objects.get(user__email=REVIEWER).last_used_at is not None
    reviewer.get_by_role("link", name="Review queue").click()
    expect(reviewer.get_by_role("heading", name="Review queue")).to_be_visible()
    queued = reviewer.get_by_role("row").filter(has_text=ORG)
    expect(queued.get_by_text("Submitted", exact=True)).to_be_visible()
    shot(reviewer, screenshots, "03-review-queue")
    queued.get_by_role("link", name=f"Open review of {ORG}").click()
    reviewer.get_by_role("button", name="Start review").click()
    expect(reviewer.get_by_text("Review started.")).to_be_visible()
    verdict_progress(reviewer, 0)

    question = ("needs_information", "Which products and which period does the count of accounts cover?")
    record_all_verdicts(reviewer, report, {FLAGGED[0]: question})
    reviewer.reload()
    verdict_progress(reviewer, total)
    expect(reviewer.get_by_text(f"{total} of {total} items")).to_be_visible()

    changes = reviewer.get_by_role("region", name="Request changes")
    # Every item whose verdict is not "verified" is pre-ticked; the reviewer keeps only one.
    not_verified = report.items.exclude(
        status__in=[ImplementationStatus.IMPLEMENTED, ImplementationStatus.NOT_APPLICABLE]
    ).count()
    ticked = changes.locator("input[type=checkbox]:checked")
    expect(ticked).to_have_count(not_verified + 1)  # + the flagged item, implemented but questioned
    while ticked.count():
        ticked.first.uncheck()
    changes.get_by_role("checkbox", name=FLAGGED[1]).check()
    message = "Please say which products and which period the count of actioned accounts covers."
    changes.get_by_label("Message to the officers").fill(message)
    shot(reviewer, screenshots, "04-review-verdicts", full_page=False, item=changes)
    changes.get_by_role("button", name="Request changes").click()
    expect(reviewer.get_by_text("Changes requested on 1 item(s).")).to_be_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.CHANGES_REQUESTED
    assert ItemVerdict.objects.filter(item__report=report, report_revision=1).count() == total

    # --- the officer sees the request, fixes the item and resubmits ------------------------------
    open_report_from_workspace(officer, "Continue report")
    request_card = officer.get_by_role("note").filter(
        has=officer.get_by_role("heading", name="The reviewer asked for changes")
    )
    expect(request_card).to_be_visible()
    expect(request_card).to_contain_text(message)
    expect(request_card.get_by_role("link", name=f"{FLAGGED[0]} {FLAGGED[1]}")).to_be_visible()
    expect(request_card.get_by_text("Needs information")).to_be_visible()
    card = editor_item(officer, FLAGGED)
    expect(card.get_by_text("The reviewer asked for changes to this item.")).to_be_visible()
    expect(card.get_by_text(question[1])).to_be_visible()
    shot(officer, screenshots, "05-editor-changes-requested", full_page=False, item=card)

    fixed = (
        "Warnings, strikes and bans apply on the image app, the API and the partner plug-in; "
        "the count covers 1 January to 31 December 2025."
    )
    card.get_by_label("What has been done").fill(fixed)
    card.get_by_label(re.compile("^Accounts actioned")).fill("312")
    save_item(card)
    officer.get_by_role("button", name="Submit for review").click()
    expect(officer.get_by_text("Report submitted for review.")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.revision) == (ReportStatus.SUBMITTED, 2)

    # --- the reviewer sees what changed, records verdicts again and verifies ----------------------
    reviewer.get_by_role("link", name="Review queue").click()
    queued = reviewer.get_by_role("row").filter(has_text=ORG)
    expect(queued.get_by_text("resubmission")).to_be_visible()
    queued.get_by_role("link", name=f"Open review of {ORG}").click()
    expect(reviewer.get_by_role("heading", name="Resubmitted: revision 2")).to_be_visible()
    expect(reviewer.get_by_text("1 item changed")).to_be_visible()
    changed = review_item(reviewer, FLAGGED)
    expect(changed.get_by_text("Changed since revision 1", exact=True)).to_be_visible()
    expect(changed.get_by_text("Changes were requested", exact=True)).to_be_visible()
    expect(changed.locator("ins").first).to_contain_text("the partner plug-in")
    expect(changed.locator("del").first).to_contain_text("has put this in place")
    expect(review_item(reviewer, EDITED).get_by_text("Unchanged since revision 1")).to_be_visible()
    shot(reviewer, screenshots, "06-review-resubmission", full_page=False, item=changed)

    reviewer.get_by_role("button", name="Start review").click()
    expect(reviewer.get_by_text("Review started.")).to_be_visible()
    record_all_verdicts(
        reviewer, report, {FLAGGED[0]: ("verified", "Scope and period now stated; figures match.")}
    )
    reviewer.reload()
    verdict_progress(reviewer, total)
    reviewer.get_by_role("button", name="Verify report").click()
    expect(reviewer.get_by_text(f"{ORG}'s report is verified.")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.revision) == (ReportStatus.VERIFIED, 2)
    assert ItemVerdict.objects.filter(item__report=report, report_revision=2).count() == total

    # --- the officer answers a verdict from the report page ---------------------------------------
    open_report_from_workspace(officer, "View report")
    expect(officer.get_by_text("This report is verified and can no longer be edited.")).to_be_visible()
    officer.get_by_role("link", name="Verdicts, discussion & company response").click()
    expect(officer.get_by_text("You are viewing your organisation's report.")).to_be_visible()
    card = review_item(officer, ANSWERED)
    expect(card.get_by_text("Verdict: Not verified")).to_be_visible()
    response = "Provenance labels ship with the next image model; the rollout date is set for June."
    card.get_by_label(re.compile("^Your response to the verdict")).fill(response)
    card.get_by_role("button", name="Add response").click()
    expect(card.get_by_role("status")).to_have_text("Company response added.")
    expect(card.locator("blockquote.response")).to_contain_text("rollout date is set for June")
    shot(officer, screenshots, "07-company-response", full_page=False, item=card)

    # --- the program admin publishes it from the program overview ---------------------------------
    admin = sign_in(ADMIN)
    admin.get_by_role("link", name="Program overview").click()
    expect(admin.get_by_role("heading", name="Program overview")).to_be_visible()
    # The picker submits through a deferred static script (no inline handlers under the CSP); the
    # heading can show before that script has run, so wait for the page to finish loading.
    admin.wait_for_load_state()
    picker = admin.get_by_label("Reporting period")
    option = picker.locator("option", has_text=re.compile(rf"— {PERIOD}$")).text_content().strip()
    picker.select_option(label=option)  # submits the form on change
    expect(admin.get_by_text(f"period {PERIOD} (")).to_be_visible()
    row = admin.get_by_role("row").filter(has_text=ORG)
    expect(row.get_by_text("Verified", exact=True)).to_be_visible()
    row.get_by_role("button", name=f"Publish {ORG}'s report").click()
    expect(admin.get_by_text(f"Published {ORG}'s {PERIOD} report (version 1).")).to_be_visible()
    row = admin.get_by_role("row").filter(has_text=ORG)
    expect(row.get_by_text("Published", exact=True)).to_be_visible()
    shot(admin, screenshots, "08-program-overview")

    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED
    assert report.published_at is not None
    assert report.publications.count() == 1
    assert report.items.get(node__code=ANSWERED[0]).company_responses.get().body == response
    verification = ledger_verify()
    assert verification.ok, verification

    # --- Orchard's officer sees the change request the demo data left on their report -------------
    orchard = sign_in(ORCHARD_OFFICER)
    open_report_from_workspace(orchard, "Continue report")
    request_card = orchard.get_by_role("note").filter(
        has=orchard.get_by_role("heading", name="The reviewer asked for changes")
    )
    expect(request_card).to_contain_text("Please clarify the reporting window.")
    flagged = ("M2", "Detect, remove and report abuse material in training data at ingestion")
    expect(request_card.get_by_role("link", name=f"{flagged[0]} {flagged[1]}")).to_be_visible()
    card = editor_item(orchard, flagged)
    expect(card.get_by_text("The reviewer asked for changes to this item.")).to_be_visible()
    expect(card.get_by_text("The count has no period; please state the reporting window.")).to_be_visible()
    expect(orchard.get_by_role("button", name="Submit for review")).to_be_visible()
    shot(orchard, screenshots, "09-orchard-changes-requested", full_page=False, item=card)
