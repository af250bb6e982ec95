"""The demo's independent audits (issue 14), made through the audit services as people would:

- an attested engagement of Northwind Generative's 2025 report by Aiko Auditor (Harbourside
  Assurance, fictional): a workpaper and a finding on every item (most conform, one observation
  with the company's response, one nonconformity with a corrective action), then a qualified
  opinion, since there is a nonconformity; the public pages then show the conforming items as
  independently audited. Northwind has no 2026 report, so its officer's dashboard asks them to
  start one to follow up the corrective action (the follow-up is left for a demo user to write);
- an open engagement of Bluefin Labs' 2024 report by the same auditor, with an evidence request
  waiting for Bluefin's officer.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import User
from audits.services.engagements import engagement_create, independence_declare
from audits.services.requests import request_open
from audits.services.work import attestation_sign, finding_record, finding_respond, workpaper_save
from commitments.models import ItemResponse, ProgressReport
from commitments.vocabulary import FindingKind, Opinion

FIRM = "Harbourside Assurance LLP (fictional)"
DECLARATION = (
    "I have no financial interest in, employment with or other relationship to the organisations in scope, "
    "and I have not advised them on the matters I audit."
)


PROCEDURE = "Inspected the policy and the evidence listed; walked through the process with its owner."
DESCRIPTIONS = {
    FindingKind.CONFORMS: "The evidence supports the claim as reported.",
    FindingKind.OBSERVATION: "The procedure is in place, but its owner is not named in the policy.",
    FindingKind.NONCONFORMITY: "Two of the five sampled records lack the documented review.",
}
RESPONSE = "We accept the finding; the change is scheduled and will be shown in our next report."


def _report(slug: str, label: str) -> ProgressReport:
    return ProgressReport.objects.select_related("organisation", "period").get(
        organisation__slug=slug, period__label=label
    )


def _engagement(*, admin: User, auditor: User, report: ProgressReport, title: str):
    now = timezone.now()
    engagement = engagement_create(
        acting_user=admin,
        title=title,
        standard="ISAE 3000 (Revised), limited assurance",
        scope_statement=(
            f"{report.organisation.name}'s reported implementation of every mitigation of the "
            f"{report.period.label} report, and the evidence behind it."
        ),
        firm=FIRM,
        auditors=[auditor],
        organisations=[report.organisation],
        periods=[report.period],
        starts_at=now - datetime.timedelta(days=14),
        ends_at=now + datetime.timedelta(days=60),
    )
    independence_declare(engagement=engagement, acting_user=auditor, declaration=DECLARATION)
    return engagement


def demo_audits(*, admin: User, auditor: User) -> None:
    northwind = _report("northwind", "2025")
    engagement = _engagement(
        admin=admin, auditor=auditor, report=northwind, title="Northwind Generative 2025: limited assurance"
    )
    officer = User.objects.get(email=f"officer@northwind.{auditor.email.split('@', 1)[1]}")
    items = ItemResponse.objects.filter(report=northwind).select_related("node").order_by("node__position")
    for position, item in enumerate(items):
        workpaper_save(
            engagement=engagement,
            item=item,
            acting_user=auditor,
            procedure=PROCEDURE,
            population=f"Every record of {item.node.node_id} in the period.",
            sample="The evidence files listed on the item, and five records picked at random.",
            result="As described in the finding.",
            conclusion="See the finding.",
        )
        kind = {1: FindingKind.OBSERVATION, 2: FindingKind.NONCONFORMITY}.get(position, FindingKind.CONFORMS)
        nonconformity = kind == FindingKind.NONCONFORMITY
        finding = finding_record(
            engagement=engagement,
            item=item,
            acting_user=auditor,
            kind=kind,
            description=DESCRIPTIONS[kind],
            recommended_action="Record the review on every record." if nonconformity else "",
            corrective_action="Reviews recorded in the ticketing tool from Q1 2026." if nonconformity else "",
        )
        if kind != FindingKind.CONFORMS:
            finding_respond(finding=finding, acting_user=officer, company_response=RESPONSE)
    attestation_sign(
        engagement=engagement,
        acting_user=auditor,
        opinion=Opinion.QUALIFIED,
        statement=(
            "Based on the procedures performed and the evidence obtained, except for the nonconformity "
            "described, nothing has come to our attention that causes us to believe the claims in scope are "
            "not fairly stated."
        ),
        attested_on=timezone.localdate(),
    )

    bluefin = _report("bluefin", "2024")
    open_engagement = _engagement(
        admin=admin, auditor=auditor, report=bluefin, title="Bluefin Labs 2024: limited assurance"
    )
    first = ItemResponse.objects.filter(report=bluefin).order_by("node__position").first()
    request_open(
        engagement=open_engagement,
        item=first,
        acting_user=auditor,
        message="Please send the log of the last quarter's escalations, with the names removed.",
        due_on=timezone.localdate() + datetime.timedelta(days=10),
    )
