"""The audit part of the access matrix's world (tests/api/world.py), made through the services: on
the open engagement of Northwind for `auditor_inside`, a workpaper, an observation and an evidence
request answered with a reply and a file, all on the published report's first item; and a second
engagement of Northwind's 2027 (draft) report, complete and attested, whose attestation is public;
and an attested engagement of the 2023 (verified) report with a nonconformity, whose corrective
action the next report, 2024's (sent back with changes requested, so editable), follows up.

An attested engagement of the draft period touches nothing the public reads of published reports.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audits.services.requests import request_answer, request_open
from audits.services.work import attestation_sign, finding_record, workpaper_save
from commitments.vocabulary import FindingKind, Opinion
from tests.audits.builders import engagement_for
from tests.audits.follow_up_fixtures import audit_and_attest

PAPER = {
    "procedure": "Inspected the moderation policy and traced three escalations to the case log.",
    "population": "All 412 escalations logged in the period.",
    "sample": "Cases 17, 203 and 388.",
    "result": "Each escalation was handled within the policy's 24 hours.",
    "conclusion": "The control operated as described.",
}
REPLY_FILE = b"Escalations handled in March: 4\n"


def build_audits(
    *, engagement, item, draft_report, verified_report, auditor, officer, admin
) -> dict[str, Any]:
    workpaper = workpaper_save(engagement=engagement, item=item, acting_user=auditor, **PAPER)
    finding = finding_record(
        engagement=engagement,
        item=item,
        acting_user=auditor,
        kind=FindingKind.OBSERVATION,
        description="The escalation log does not name who closed each case.",
    )
    evidence_request = request_open(
        engagement=engagement,
        item=item,
        acting_user=auditor,
        message="Please send the escalation log for March.",
        due_on=timezone.localdate() + datetime.timedelta(days=9),
    )
    reply = request_answer(
        request=evidence_request,
        acting_user=officer,
        message="The March log is attached.",
        file=SimpleUploadedFile("march-log.txt", REPLY_FILE),
    )
    attested = engagement_for(
        auditor,
        organisations=[draft_report.organisation],
        periods=[draft_report.period],
        admin=admin,
        title="Limited assurance on the 2027 report",
    )
    for scoped in draft_report.items.select_related("node", "report"):
        finding_record(
            engagement=attested,
            item=scoped,
            acting_user=auditor,
            kind=FindingKind.CONFORMS,
            description="The claim matches the evidence.",
        )
    attestation = attestation_sign(
        engagement=attested,
        acting_user=auditor,
        opinion=Opinion.UNQUALIFIED,
        statement="Nothing came to our attention that the report is not fairly stated.",
        attested_on=timezone.localdate(),
    )
    follow_up = _attested_with_a_nonconformity(verified_report, auditor=auditor, admin=admin)
    return {
        "audits_follow_up_finding": follow_up,
        "audits_item": item,
        "audits_workpaper": workpaper,
        "audits_finding": finding,
        "audits_request": evidence_request,
        "audits_reply": reply,
        "audits_attested_engagement": attested,
        "audits_attestation": attestation,
    }


def _attested_with_a_nonconformity(report, *, auditor, admin):
    """An attested engagement of `report` (tests/audits/follow_up_fixtures.py's findings: a
    nonconformity with a corrective action on the first item); the nonconformity is returned."""
    engagement = engagement_for(
        auditor,
        organisations=[report.organisation],
        periods=[report.period],
        admin=admin,
        title=f"Limited assurance on the {report.period.label} report",
    )
    items = list(report.items.select_related("node", "report").order_by("node__position"))
    return audit_and_attest(engagement, items, auditor).nonconformity
