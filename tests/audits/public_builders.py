"""Findings and attestations for the tests of what the public sees of an audit.

These write the rows with the ORM directly, as audits/services/work.py does (one Finding per
engagement and item, then an Attestation, a correction naming the one it replaces, and
`opendata_rebuild_for_attestation` in the same transaction), but without its completeness rule:
a test can attest an engagement whose findings cover only the items it is about. The services'
own rules are tested in tests/audits/test_work_*.py. No ledger entry is appended: verify_ledger
would report each of these rows as not recorded through the platform.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from audits.models import Attestation, Finding
from commitments.models import ItemResponse
from commitments.vocabulary import FindingKind, Opinion
from reports.opendata.services import opendata_rebuild_for_attestation
from tests.audits.builders import engagement_for

ATTESTED_ON = datetime.date(2026, 3, 31)
STATEMENT = "Based on the procedures performed, nothing came to our attention that the claims are misstated."


def item_of(report, node_id: str) -> ItemResponse:
    return report.items.get(node__node_id=node_id)


def finding_record(engagement, item, kind=FindingKind.CONFORMS, *, by, description="", company_response=""):
    return Finding.objects.create(
        engagement=engagement,
        item=item,
        kind=kind,
        description=description or f"{FindingKind(kind).label} on {item.node.node_id}.",
        recommended_action="Document the procedure." if kind == FindingKind.NONCONFORMITY else "",
        company_response=company_response,
        recorded_by=by,
        recorded_at=timezone.now(),
    )


@transaction.atomic
def attestation_sign(
    engagement,
    *,
    by,
    opinion=Opinion.UNQUALIFIED,
    statement=STATEMENT,
    attested_on=ATTESTED_ON,
    corrects=None,
    correction_reason="",
):
    attestation = Attestation.objects.create(
        engagement=engagement,
        opinion=opinion,
        statement=statement,
        attested_on=attested_on,
        signed_by=by,
        signed_at=timezone.now(),
        corrects=corrects,
        correction_reason=correction_reason,
    )
    opendata_rebuild_for_attestation(attestation)
    return attestation


def audited(report, *, auditor, admin, findings, attest=True, title="", **attest_options):
    """An engagement over the report's organisation and period with `findings`
    (node id → kind or (kind, company response)), attested unless `attest` is False."""
    engagement = engagement_for(
        auditor,
        organisations=[report.organisation],
        periods=[report.period],
        admin=admin,
        **({"title": title} if title else {}),
    )
    for node_id, kind in findings.items():
        kind, response = kind if isinstance(kind, tuple) else (kind, "")
        finding_record(engagement, item_of(report, node_id), kind, by=auditor, company_response=response)
    attestation = attestation_sign(engagement, by=auditor, **attest_options) if attest else None
    return engagement, attestation
