"""Fixtures for the auditor's work (tests/audits/test_work_*.py): Northwind's 2026 report, audited
by two auditors on one engagement, made through the services."""

import json
from types import SimpleNamespace

import pytest

from audits.services.work import finding_record, workpaper_save
from commitments.models import LedgerEntry
from commitments.vocabulary import FindingKind
from tests.audits.builders import engagement_for
from tests.factories import UserFactory

PAPER = {
    "procedure": "Inspected the moderation policy and traced three escalations to the case log.",
    "population": "All 412 escalations logged in 2026.",
    "sample": "Cases 17, 203 and 388, with the policy of 5 January 2026.",
    "result": "Each escalation was handled within the policy's 24 hours.",
    "conclusion": "The control operated as described.",
}


@pytest.fixture(name="audit")
def audit_fixture(org, period, report, officer, program_admin):
    """Two auditors on one open, declared engagement of Northwind's 2026 report."""
    first = UserFactory(platform_role="auditor", full_name="Ada First")
    second = UserFactory(platform_role="auditor", full_name="Bea Second")
    engagement = engagement_for(first, second, organisations=[org], periods=[period], admin=program_admin)
    items = list(report.items.select_related("node", "report").order_by("node__position"))
    return SimpleNamespace(
        engagement=engagement, first=first, second=second, items=items, report=report, admin=program_admin
    )


@pytest.fixture(name="solo")
def solo_fixture(org, period, report, program_admin):
    """One auditor alone on an engagement of the same report."""
    auditor = UserFactory(platform_role="auditor")
    engagement = engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)
    items = list(report.items.select_related("node", "report").order_by("node__position"))
    return SimpleNamespace(engagement=engagement, auditor=auditor, items=items, report=report)


def paper(audit, item, user=None, **changes):
    return workpaper_save(
        engagement=audit.engagement, item=item, acting_user=user or audit.first, **{**PAPER, **changes}
    )


def find(audit, item, user=None, kind=FindingKind.CONFORMS, **fields):
    return finding_record(
        engagement=audit.engagement,
        item=item,
        acting_user=user or audit.first,
        kind=kind,
        description=fields.pop("description", "The claim matches the evidence."),
        **fields,
    )


def entries(event):
    """The ledger entries of one event, oldest first, as (entry, data) pairs."""
    rows = LedgerEntry.objects.filter(event=event).order_by("sequence")
    return [(row, json.loads(row.payload)["data"]) for row in rows]
