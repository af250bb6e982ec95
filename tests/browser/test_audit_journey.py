"""The auditor's journey in a real browser, on the demo data (issue 14, item 6 and "Done when").

`load_frameworks` and `seed_demo` build the demo world, seeded three days ago so that the evidence
request it leaves waiting has an age. In it Aiko Auditor (Harbourside Assurance, fictional) has an
open engagement of Bluefin Labs' published 2024 report, alone: no second auditor, so no workpaper
needs a sign-off. She asks Bluefin for more evidence on one item; Bluefin's officer sees the
request on the dashboard and answers with a reply and a small text file; the auditor reads the
answer, previews and downloads the file and closes the request; she records a finding on every
item in scope, going from item to item by the item page's "Next item" link (an observation and a
nonconformity among them, with workpapers on the three items she looked at closely); Bluefin's
officer responds to the nonconformity from the dashboard, and she signs a qualified attestation
from the workspace. Anonymous visitors
then see the conforming items as independently audited on the matrix, the organisation page and
the item page, with the auditor, the opinion, the date and the public attestation; the observation
and the nonconformity show as such. Finally an auditor of another engagement, and Aiko herself once
her window has closed, reach nothing of the engagement. Screenshots go to
test-artifacts/screenshots/audit-*.png (git-ignored).
"""

import datetime
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from audits.models import Attestation, Engagement, EvidenceRequest, Finding
from commitments.models import ItemResponse, LedgerEntry
from commitments.services.ledger import ledger_verify
from commitments.vocabulary import FindingKind, FindingPart, LedgerEvent, Opinion, RequestStatus
from demo.world import DEMO_DOMAIN, DEMO_PASSWORD
from tests.audits.builders import engagement_for
from tests.browser.conftest import TIMEOUT_MS, expect

pytestmark = pytest.mark.browser

AUDITOR = f"auditor@{DEMO_DOMAIN}"
OFFICER = f"officer@bluefin.{DEMO_DOMAIN}"
ADMIN = f"admin@{DEMO_DOMAIN}"
OUTSIDER = f"outsider@{DEMO_DOMAIN}"  # an auditor engaged for Northwind only, made by this test
ORG = "Bluefin Labs"
PERIOD = "2024"
ENGAGEMENT = "Bluefin Labs 2024: limited assurance"
FIRM = "Harbourside Assurance LLP (fictional)"
SEEDED_DAYS_AGO = 3

# Items of the Safety by Design framework the journey touches (code, title); all of principle 4,
# so that one row of the public matrix shows every kind of finding.
PRINCIPLE = "sbd.deploy.4"
ASKED = ("M10", "Deterrence and prevention messaging when abusive content is sought")  # restricted PDF
OBSERVED = ("M8", "User reporting of abusive content")
NONCONFORMING = ("M11", "Usage policy that bans using models to sexually harm children")
WAITING = ("M1", "Exclude training-data sources that experts flag as high-risk")  # the demo's request

ASK = "Please send last quarter's log of deterrence messages shown, by surface, with no user data."
REPLY = "The log is attached: counts by surface for October to December, no user data."
LOG_NAME = "deterrence-log-q4.txt"
LOG = b"surface,messages shown\nimage app,1204\napi,311\npartner plug-in,87\n"
CONFORMS = "The policy, the messages and the sampled log agree with the claim."
OBSERVATION = "Messages are shown, but the policy does not name who reviews their wording."
NONCONFORMITY = "Two of the five sampled enforcement records do not cite the usage policy."
RECOMMENDED = "Cite the clause of the usage policy in every enforcement record."
CORRECTIVE = "Enforcement records cite the clause from Q1 2025; followed up in the 2025 report."
RESPONSE = "We accept the finding: the enforcement template now requires the clause."
STATEMENT = (
    "Based on the procedures performed and the evidence obtained, except for the nonconformity on "
    "M11, nothing has come to our attention that the claims in scope are not fairly stated."
)
PAPER = {
    "Procedure": "Read the policy, traced the sampled records to the evidence and asked its owner.",
    "Population": "Every record of the item in the 2024 reporting period.",
    "Sample": "The evidence files of the item, the answered request's log and five records at random.",
    "Result": "As described in the finding.",
    "Conclusion": "See the finding.",
}


@pytest.fixture
def demo_world(flushable_ledger, settings) -> Engagement:
    """The demo data, created by the management commands as a developer runs them, 3 days ago."""
    settings.DEBUG = True  # seed_demo refuses to create known passwords with DEBUG off
    with time_machine.travel(timezone.now() - datetime.timedelta(days=SEEDED_DAYS_AGO), tick=True):
        call_command("load_frameworks", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False  # the live server then runs as the rest of the suite does
    return Engagement.objects.get(title=ENGAGEMENT)


@pytest.fixture
def outsider(demo_world) -> User:
    """A fictional auditor, engaged now for Northwind's 2025 report only, her independence declared."""
    person = User.objects.create_user(
        email=OUTSIDER,
        password=DEMO_PASSWORD,
        full_name="Ines Outsider",
        platform_role=User.PlatformRole.AUDITOR,
    )
    northwind = Engagement.objects.get(title__startswith="Northwind")
    engagement_for(
        person,
        organisations=list(northwind.organisations.all()),
        periods=list(northwind.periods.all()),
        admin=User.objects.get(email=ADMIN),
        title="Northwind Generative 2025: second look",
    )
    return person


@pytest.fixture
def sign_in(sign_in_with) -> Callable:
    return lambda email: sign_in_with(email, DEMO_PASSWORD)


@pytest.fixture
def visitor(browser, live_server) -> Iterator:
    """An anonymous visitor's page."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def shot(page, folder: Path, name: str, *, part=None) -> None:
    """The page's first screen; with `part`, that element too, as audit-<name>-part.png."""
    page.evaluate("window.scrollTo(0, 0)")  # a restored scroll position would draw sticky bars mid-page
    page.screenshot(path=folder / f"audit-{name}.png")
    if part is not None:
        part.screenshot(path=folder / f"audit-{name}-part.png")


def item(report_items, code_title) -> ItemResponse:
    return next(i for i in report_items if i.node.code == code_title[0])


def link_name(code_title) -> str:
    code, title = code_title
    return f"{code} · {title}"


def open_item_from_workspace(page, code_title) -> None:
    page.get_by_role("link", name=link_name(code_title), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link_name(code_title))


def back_to_workspace(page) -> None:
    page.get_by_role("link", name=ENGAGEMENT, exact=True).first.click()
    expect(page.get_by_role("heading", name=f"{ENGAGEMENT}: workspace")).to_be_visible()


def save_workpaper(page) -> None:
    work = page.locator("section#work")
    for label, text in PAPER.items():
        work.get_by_label(label, exact=True).fill(text)
    work.get_by_role("button", name="Save workpaper").click()
    expect(page.get_by_text("Workpaper saved.")).to_be_visible()


def record_finding(
    page, kind: FindingKind, description: str, recommended: str = "", corrective: str = ""
) -> None:
    work = page.locator("section#work")
    work.get_by_label(kind.label, exact=True).check()
    work.get_by_label("Description", exact=True).fill(description)
    if recommended:
        work.get_by_label("Recommended action", exact=True).fill(recommended)
    if corrective:
        work.get_by_label("Corrective action", exact=True).fill(corrective)
    work.get_by_role("button", name="Record finding").click()
    expect(page.get_by_text("Finding recorded.")).to_be_visible()


def progress(page, count: int) -> None:
    expect(page.get_by_role("progressbar", name="Items with a finding")).to_have_attribute(
        "value", str(count)
    )


def not_found(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 404, (path, response and response.status)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def ledger(event: LedgerEvent, since: int) -> list[dict]:
    rows = LedgerEntry.objects.filter(event=event, sequence__gt=since).order_by("sequence")
    return [{"actor": row.actor_id, **json.loads(row.payload)["data"]} for row in rows]


@pytest.mark.django_db(transaction=True)
def test_audit_journey(sign_in, visitor, demo_world, outsider, screenshots):
    engagement = demo_world
    report_items = list(
        ItemResponse.objects.filter(
            report__organisation__name=ORG, report__period__label=PERIOD
        ).select_related("node", "report__organisation")
    )
    report_items.sort(key=lambda i: i.node.position)
    total = len(report_items)
    asked, observed, nonconforming = (item(report_items, c) for c in (ASKED, OBSERVED, NONCONFORMING))
    auditor_user = User.objects.get(email=AUDITOR)
    officer_user = User.objects.get(email=OFFICER)
    start = LedgerEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    item_path = f"/organisations/bluefin/sbd/{PERIOD}/{asked.node.node_id}/"
    assert total == 21

    # --- before any of it, the public sees the reviewer's level and nothing of the audit ----------
    visitor.goto(item_path)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"{ASKED[0]}. {ASKED[1]}")
    expect(visitor.locator(".status-facts")).to_contain_text("Reviewer-verified")
    expect(visitor.get_by_role("heading", name="Independent audit")).to_have_count(0)

    # --- 1. the auditor finds the engagement under "Audits" and asks for more evidence on an item ---
    auditor = sign_in(AUDITOR)  # with the code of the demo's printed authenticator secret
    auditor.get_by_role("navigation", name="Main").get_by_role("link", name="Audits").click()
    expect(auditor.get_by_role("heading", name="Audit engagements")).to_be_visible()
    row = auditor.get_by_role("row").filter(has=auditor.get_by_role("link", name=ENGAGEMENT))
    expect(row).to_contain_text(ORG)
    expect(row.get_by_text("open", exact=True)).to_be_visible()
    shot(auditor, screenshots, "01-engagements")
    row.get_by_role("link", name=ENGAGEMENT).click()
    expect(auditor.get_by_role("heading", name=ENGAGEMENT)).to_be_visible()
    auditor.get_by_role("link", name="Open the workspace").click()
    expect(auditor.get_by_role("heading", name=f"{ENGAGEMENT}: workspace")).to_be_visible()
    expect(auditor.get_by_text(f"0 of {total} items", exact=True)).to_be_visible()
    progress(auditor, 0)
    expect(auditor.get_by_text(f"Not ready to attest yet: {total} items without a finding.")).to_be_visible()
    shot(auditor, screenshots, "02-workspace")

    open_item_from_workspace(auditor, ASKED)
    evidence = auditor.locator("ul.evidence > li").first
    expect(evidence).to_contain_text("Restricted (hash only in public)")
    expect(evidence).to_contain_text(asked.evidence.get().sha256)
    evidence.get_by_role("link", name="Preview the text").click()
    expect(auditor.locator("pre.preview-text")).to_contain_text(ASKED[1][:40])
    shot(auditor, screenshots, "03-evidence-preview")
    auditor.get_by_role("link", name="Back to the item").click()

    requests = auditor.get_by_role("region", name="Evidence requests", exact=True)
    expect(requests.get_by_text("No evidence requested on this item yet.")).to_be_visible()
    requests.get_by_text("Ask the organisation for more evidence").click()
    due = timezone.localdate() + datetime.timedelta(days=14)
    requests.get_by_label("What do you need?").fill(ASK)
    requests.get_by_label("Answer due by").fill(due.isoformat())
    requests.get_by_role("button", name="Send request").click()
    expect(
        auditor.get_by_text("Request sent: the organisation's compliance officers have been told.")
    ).to_be_visible()
    asked_request = requests.get_by_role("listitem").filter(has_text=ASK)
    expect(asked_request.get_by_text("Open", exact=True)).to_be_visible()
    expect(asked_request).to_contain_text(f"opened today by Aiko Auditor · due {due.day} {due:%b}")
    shot(auditor, screenshots, "04-request-opened", part=requests)
    evidence_request = EvidenceRequest.objects.get(item=asked, engagement=engagement)
    told = [
        m
        for m in mail.outbox
        if m.subject.startswith(f"The auditor asks for more evidence on {asked.node.node_id}")
    ]
    assert [m.to for m in told] == [[OFFICER]]
    assert ASK in told[0].body

    # --- 2. Bluefin's officer sees the request, with its age, and answers with a reply and a file ----
    officer = sign_in(OFFICER)
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    expect(officer.get_by_role("heading", name="Your workspace")).to_be_visible()
    waiting = officer.get_by_role("region", name="Evidence requested by auditors", exact=True)
    expect(waiting.get_by_role("listitem")).to_have_count(2)
    demo_request = waiting.get_by_role("listitem").filter(has_text=WAITING[1])
    expect(demo_request).to_contain_text(f"opened {SEEDED_DAYS_AGO} days ago")
    new_request = waiting.get_by_role("listitem").filter(has_text=ASKED[1])
    expect(new_request).to_contain_text(f"opened today, due {due.day} {due:%b}")
    shot(officer, screenshots, "05-officer-dashboard", part=waiting)
    new_request.get_by_role("link").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text(f"Evidence request {evidence_request.pk}")
    expect(officer.get_by_text(ASK)).to_be_visible()
    officer.get_by_label("Your reply").fill(REPLY)
    officer.get_by_label("File", exact=True).set_input_files(
        files=[{"name": LOG_NAME, "mimeType": "text/plain", "buffer": LOG}]
    )
    officer.get_by_role("button", name="Send answer").click()
    expect(officer.get_by_text("Answer sent to the auditor.")).to_be_visible()
    answers = officer.get_by_role("region", name="Answers", exact=True)
    expect(answers).to_contain_text(REPLY)
    expect(answers.get_by_role("link", name=LOG_NAME)).to_be_visible()
    shot(officer, screenshots, "06-request-answered", part=answers)
    officer.get_by_role("link", name="← Back to your workspace").click()
    expect(waiting.get_by_role("listitem")).to_have_count(1)  # only the demo's request still waits
    told = [m for m in mail.outbox if m.subject.startswith(f"{ORG} answered your evidence request")]
    assert [m.to for m in told] == [[AUDITOR]]

    # --- 3. the auditor reads the answer, downloads the file and closes the request ----------------
    auditor.reload()
    asked_request = requests.get_by_role("listitem").filter(has_text=ASK)
    expect(asked_request.get_by_text("Answered", exact=True)).to_be_visible()
    expect(asked_request).to_contain_text(REPLY)
    asked_request.get_by_role("link", name=f"Preview the text of {LOG_NAME}").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text(LOG_NAME)
    expect(auditor.locator("pre.preview-text")).to_have_text(LOG.decode())
    shot(auditor, screenshots, "07-answer-preview")
    with auditor.expect_download() as download:
        auditor.get_by_role("link", name="Download the file").click()
    assert Path(download.value.path()).read_bytes() == LOG
    auditor.get_by_role("link", name="Back to the item").click()
    asked_request.get_by_role("button", name="Close request").click()
    expect(auditor.get_by_text("Request closed.")).to_be_visible()
    asked_request = requests.get_by_role("listitem").filter(has_text=ASK)
    expect(asked_request.get_by_text("Closed", exact=True)).to_be_visible()
    expect(asked_request.get_by_role("button", name="Close request")).to_have_count(0)
    shot(auditor, screenshots, "08-request-closed", part=requests)
    evidence_request.refresh_from_db()
    assert (evidence_request.status, evidence_request.closed_by) == (RequestStatus.CLOSED, auditor_user)

    # --- 4. a workpaper and a finding on the item, then a finding on every other item -------------
    save_workpaper(auditor)
    record_finding(auditor, FindingKind.CONFORMS, CONFORMS)
    work = auditor.locator("section#work")
    expect(work).to_contain_text("Prepared by Aiko Auditor")
    expect(work).to_contain_text("One auditor on this engagement: no second sign-off.")
    shot(auditor, screenshots, "09-workpaper-and-finding", part=work)
    back_to_workspace(auditor)
    progress(auditor, 1)

    open_item_from_workspace(auditor, OBSERVED)
    save_workpaper(auditor)
    record_finding(auditor, FindingKind.OBSERVATION, OBSERVATION)
    back_to_workspace(auditor)
    open_item_from_workspace(auditor, NONCONFORMING)
    save_workpaper(auditor)
    record_finding(auditor, FindingKind.NONCONFORMITY, NONCONFORMITY, RECOMMENDED, CORRECTIVE)
    back_to_workspace(auditor)
    progress(auditor, 3)

    # The filter shows what is left; the auditor then works through every item from the first,
    # by the item page's "Next item" link, recording a finding where there is none yet.
    auditor.get_by_label("Finding", exact=True).select_option("none")  # submits on change
    expect(auditor.get_by_text(f"({total - 3} shown)")).to_be_visible()
    shot(auditor, screenshots, "10-workspace-filtered")
    done = {asked.pk, observed.pk, nonconforming.pk}
    auditor.locator("table.audit-items tbody tr").first.get_by_role("link").click()
    for position, each in enumerate(report_items):
        expect(auditor.get_by_role("heading", level=1)).to_have_text(f"{each.node.code} · {each.node.title}")
        if each.pk not in done:
            record_finding(auditor, FindingKind.CONFORMS, CONFORMS)
        steps = auditor.get_by_role("navigation", name="Items in scope")
        if position == 0:
            shot(auditor, screenshots, "11-next-item", part=steps)
        if position + 1 < total:
            steps.get_by_role("link", name=re.compile("^Next item: ")).click()
    expect(steps.get_by_role("link", name=re.compile("^Next item"))).to_have_count(0)
    back_to_workspace(auditor)
    progress(auditor, total)
    auditor.get_by_label("Finding", exact=True).select_option("none")
    expect(auditor.get_by_text("No item of this report matches the filters.")).to_be_visible()
    auditor.get_by_role("link", name="Show every item").click()
    kinds = dict(Finding.objects.filter(engagement=engagement).values_list("item__node__code", "kind"))
    assert len(kinds) == total
    assert {code: kind for code, kind in kinds.items() if kind != FindingKind.CONFORMS} == {
        OBSERVED[0]: FindingKind.OBSERVATION,
        NONCONFORMING[0]: FindingKind.NONCONFORMITY,
    }
    expect(auditor.get_by_text("Nothing is missing: the engagement can be attested.")).to_be_visible()
    shot(auditor, screenshots, "12-workspace-complete")

    # --- the officer responds to the nonconformity from the dashboard ------------------------------
    officer.reload()
    findings = officer.get_by_role("region", name=ORG, exact=True).locator("ul.ws-audit-findings > li")
    expect(findings).to_have_count(2)
    shot(officer, screenshots, "13-officer-findings", part=officer.locator("ul.ws-audit-findings"))
    officer.get_by_role("link", name=f"Respond to the finding on {NONCONFORMING[1]}").click()
    expect(officer.get_by_text(NONCONFORMITY)).to_be_visible()
    expect(officer.get_by_text(RECOMMENDED)).to_be_visible()
    officer.get_by_label("The company's response").fill(RESPONSE)
    officer.get_by_role("button", name="Save response").click()
    expect(officer.get_by_text("Response saved. The auditor sees it with the finding.")).to_be_visible()

    # --- ... which the auditor sees before signing a qualified attestation -------------------------
    open_item_from_workspace(auditor, NONCONFORMING)
    expect(auditor.locator("section#work blockquote")).to_have_text(RESPONSE)
    back_to_workspace(auditor)
    auditor.get_by_role("link", name="Sign the attestation").click()
    expect(auditor.get_by_role("heading", name="Attestation", exact=True)).to_be_visible()
    expect(
        auditor.get_by_text("Every item in scope has a finding. The engagement can be attested.")
    ).to_be_visible()
    auditor.get_by_label(Opinion.QUALIFIED.label, exact=True).check()
    auditor.get_by_label("Statement").fill(STATEMENT)
    expect(auditor.get_by_label("Date of the attestation")).to_have_value(timezone.localdate().isoformat())
    auditor.get_by_role("button", name="Sign attestation").click()
    expect(auditor.get_by_text("Attestation signed.")).to_be_visible()
    signed = auditor.get_by_role("region", name="Signed attestation", exact=True)
    expect(signed.get_by_text("Qualified opinion")).to_be_visible()
    expect(signed).to_contain_text(STATEMENT)
    shot(auditor, screenshots, "14-attested", part=signed)
    attestation = Attestation.objects.get(engagement=engagement)
    assert (attestation.opinion, attestation.signed_by) == (Opinion.QUALIFIED, auditor_user)
    back_to_workspace(auditor)
    expect(auditor.get_by_text("Qualified opinion")).to_be_visible()
    expect(auditor.get_by_role("link", name="Sign the attestation")).to_have_count(0)

    # --- 5. the public sees the audited level, the observation and the nonconformity ---------------
    audited_by = f"Aiko Auditor ({FIRM})"
    attested_on = f"{timezone.localdate().day} {timezone.localdate():%b %Y}"
    visitor.goto(f"/?framework=sbd&period={PERIOD}&principle={PRINCIPLE}")
    header = [c.strip() for c in visitor.locator("table.matrix thead th .col-code").all_inner_texts()]
    cells = (
        visitor.get_by_role("row").filter(has=visitor.get_by_role("link", name=ORG, exact=True)).locator("td")
    )
    for code_title, level in (
        (ASKED, "Independently audited"),
        (OBSERVED, "Observation"),
        (NONCONFORMING, "Nonconformity"),
    ):
        expect(cells.nth(header.index(code_title[0]))).to_contain_text(level)
    expect(cells.nth(header.index(OBSERVED[0]))).not_to_contain_text("Independently audited")
    shot(visitor, screenshots, "15-public-matrix", part=visitor.locator("table.matrix"))

    cells.nth(header.index(ASKED[0])).get_by_role("link").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"{ASKED[0]}. {ASKED[1]}")
    facts = visitor.locator(".status-facts")
    expect(facts).to_contain_text("Independently audited")
    expect(facts).to_contain_text(f"Conforms {audited_by}, {attested_on}")
    audit = visitor.get_by_role("region", name="Independent audit", exact=True)
    expect(audit).to_contain_text("The auditor found the claim conforms.")
    expect(audit).to_contain_text(audited_by)
    expect(audit.locator("dl").get_by_text(Opinion.QUALIFIED.label, exact=True)).to_be_visible()
    expect(audit).to_contain_text(attested_on)
    shot(visitor, screenshots, "16-public-item", part=audit)

    audit.get_by_role("link", name=f"Read the attestation of {ENGAGEMENT}").click()
    expect(visitor.get_by_role("heading", name=ENGAGEMENT, level=1)).to_be_visible()
    expect(visitor.get_by_role("region", name="Opinion", exact=True)).to_contain_text(STATEMENT)
    table = visitor.get_by_role("region", name="Findings", exact=True)
    expect(table.get_by_role("row")).to_have_count(total + 1)
    nonconformity_row = table.get_by_role("row").filter(has_text=NONCONFORMING[1])
    expect(nonconformity_row).to_contain_text(NONCONFORMITY)
    expect(nonconformity_row).to_contain_text(RESPONSE)
    shot(visitor, screenshots, "17-public-attestation", part=table)

    visitor.get_by_role("link", name=ORG, exact=True).first.click()
    expect(visitor.get_by_role("heading", name=ORG, level=1)).to_be_visible()
    mitigations = visitor.locator("table.principle-summary li")
    expect(mitigations.filter(has_text=ASKED[0] + " ")).to_contain_text("Independently audited")
    expect(mitigations.filter(has_text=OBSERVED[0] + " ")).to_contain_text("Observation")
    expect(mitigations.filter(has_text=NONCONFORMING[0] + " ")).to_contain_text("Nonconformity")
    shot(visitor, screenshots, "18-public-organisation", part=visitor.locator("table.principle-summary"))

    visitor.goto(f"/organisations/bluefin/sbd/{PERIOD}/{nonconforming.node.node_id}/")
    audit = visitor.get_by_role("region", name="Independent audit", exact=True)
    expect(audit).to_contain_text("The auditor found a nonconformity.")
    expect(audit).to_contain_text(NONCONFORMITY)
    expect(audit.locator("blockquote.response")).to_contain_text(RESPONSE)
    expect(visitor.locator(".status-facts")).not_to_contain_text("Independently audited")
    visitor.goto(f"/organisations/bluefin/sbd/{PERIOD}/{observed.node.node_id}/")
    audit = visitor.get_by_role("region", name="Independent audit", exact=True)
    expect(audit).to_contain_text("The auditor recorded an observation.")
    expect(audit).to_contain_text("The organisation did not respond to this finding.")

    # --- 6. an auditor of another engagement reaches nothing of this one ---------------------------
    workspace_path = f"/audits/{engagement.pk}/items/"
    item_path = f"{workspace_path}{asked.pk}/"
    reply = evidence_request.replies.get()
    closed_to_others = [
        f"/audits/{engagement.pk}/",
        workspace_path,
        item_path,
        f"/audits/{engagement.pk}/attest/",
        f"/audits/requests/{evidence_request.pk}/",
        f"/audits/requests/{evidence_request.pk}/replies/{reply.pk}/file/",
        f"/audits/{engagement.pk}/evidence/{asked.evidence.get().pk}/preview/",
    ]
    other = sign_in(OUTSIDER)  # sets up her authenticator app on the way, as auditors must
    other.get_by_role("navigation", name="Main").get_by_role("link", name="Audits").click()
    expect(other.get_by_role("link", name="Northwind Generative 2025: second look")).to_be_visible()
    expect(other.get_by_role("link", name=ENGAGEMENT)).to_have_count(0)
    for path in closed_to_others:
        not_found(other, path)
    shot(other, screenshots, "19-outsider-not-found")

    # --- ... and neither does the engaged auditor once her window has closed -----------------------
    with time_machine.travel(engagement.ends_at + datetime.timedelta(minutes=1), tick=True):
        late = sign_in(AUDITOR)
        expect(late.get_by_role("navigation", name="Main").get_by_role("link", name="Audits")).to_have_count(
            0
        )
        for path in (workspace_path, item_path, f"/audits/requests/{evidence_request.pk}/"):
            not_found(late, path)

    # --- what happened is in the ledger, and the ledger still verifies -----------------------------
    opened = ledger(LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED, start)
    assert [(e["actor"], e["how"], e["role"], e["sha256"]) for e in opened] == [
        (auditor_user.pk, "preview", "auditor", asked.evidence.get().sha256),
        (auditor_user.pk, "preview", "auditor", reply.sha256),
        (auditor_user.pk, "download", "auditor", reply.sha256),
    ]
    assert [e["actor"] for e in ledger(LedgerEvent.EVIDENCE_REQUEST_OPENED, start)] == [auditor_user.pk]
    assert [e["actor"] for e in ledger(LedgerEvent.EVIDENCE_REQUEST_ANSWERED, start)] == [officer_user.pk]
    assert [e["actor"] for e in ledger(LedgerEvent.EVIDENCE_REQUEST_CLOSED, start)] == [auditor_user.pk]
    assert len(ledger(LedgerEvent.WORKPAPER_SAVED, start)) == 3
    recorded = ledger(LedgerEvent.FINDING_RECORDED, start)
    assert [e["part"] for e in recorded].count(FindingPart.FINDING) == total
    assert [
        (e["actor"], e["company_response"]) for e in recorded if e["part"] == FindingPart.COMPANY_RESPONSE
    ] == [(officer_user.pk, RESPONSE)]
    assert [e["opinion"] for e in ledger(LedgerEvent.ATTESTATION_SIGNED, start)] == [Opinion.QUALIFIED]
    verification = ledger_verify()
    assert verification.ok, verification
