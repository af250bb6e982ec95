"""Fixtures for following up a corrective action (tests/audits/test_work_follow_up*.py), made through
the services: Northwind's 2026 report audited by one auditor and attested, with a nonconformity and
its corrective action on the first item and an observation on the second; and Northwind's 2027
report, the next one, as a draft."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from audits.services.follow_up import finding_follow_up
from audits.services.work import attestation_sign, finding_record
from commitments.services.reports import report_create
from commitments.vocabulary import FindingKind, Opinion
from tests.builders import period_for

CORRECTIVE = "Timestamps made mandatory in the case system from March."
FOLLOW_UP = "Since 1 March every escalation carries its time; the May sample of 40 had none missing."


def audit_and_attest(engagement, items, auditor, *, attest=True, corrective=CORRECTIVE) -> SimpleNamespace:
    """A finding on every item (a nonconformity with `corrective` action on the first, an
    observation on the second), then a qualified opinion unless `attest` is false."""
    findings = []
    for position, item in enumerate(items):
        kind = {0: FindingKind.NONCONFORMITY, 1: FindingKind.OBSERVATION}.get(position, FindingKind.CONFORMS)
        findings.append(
            finding_record(
                engagement=engagement,
                item=item,
                acting_user=auditor,
                kind=kind,
                description="Two of five escalations had no time recorded."
                if kind == FindingKind.NONCONFORMITY
                else "As described.",
                recommended_action="Record the time of every escalation." if position == 0 else "",
                corrective_action=corrective if position == 0 else "",
            )
        )
    if attest:
        attestation_sign(
            engagement=engagement,
            acting_user=auditor,
            opinion=Opinion.QUALIFIED,
            statement="Except for the escalations' times, nothing came to our attention.",
            attested_on=timezone.localdate(),
        )
    return SimpleNamespace(
        engagement=engagement, auditor=auditor, nonconformity=findings[0], observation=findings[1]
    )


@pytest.fixture(name="attested")
def attested_fixture(solo):
    """The solo engagement of Northwind's 2026 report, attested."""
    found = audit_and_attest(solo.engagement, solo.items, solo.auditor)
    found.audited = solo.report
    return found


@pytest.fixture(name="next_period")
def next_period_fixture(framework):
    return period_for(framework, label="2027", year=2027)


@pytest.fixture(name="next_report")
def next_report_fixture(org, next_period, officer):
    """Northwind's 2027 report, a draft: the next report after the audited 2026 one."""
    return report_create(organisation=org, period=next_period, acting_user=officer)


def follow_up(finding, report, user, text=FOLLOW_UP):
    return finding_follow_up(finding=finding, report=report, text=text, acting_user=user)


def item_like(report, finding):
    """The report's item of the finding's node: where the follow-up is shown."""
    return report.items.get(node__node_id=finding.item.node.node_id)
