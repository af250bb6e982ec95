"""A period's OSCAL files take the same number of queries however many reports and findings it has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.oscal.documents import period_assessment_results, period_catalog, period_component_definition
from tests.audits.builders import engagement_for
from tests.audits.public_builders import attestation_sign, finding_record, item_of
from tests.reports.oscal.conftest import FINDINGS, acme_published
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db


def queries_for_the_period_files(period) -> int:
    with CaptureQueriesContext(connection) as captured:
        period_catalog(period)
        period_component_definition(period)
        period_assessment_results(period)
    return len(captured)


def audit(reports, *, auditor, admin):
    engagement = engagement_for(
        auditor, organisations=[r.organisation for r in reports], periods=[reports[0].period], admin=admin
    )
    for report in reports:
        for node_id, kind in FINDINGS.items():
            kind = kind[0] if isinstance(kind, tuple) else kind
            finding_record(engagement, item_of(report, node_id), kind, by=auditor)
    attestation_sign(engagement, by=auditor)


def test_more_reports_and_findings_take_no_more_queries(framework, period, reviewer, auditor, program_admin):
    acme = acme_published(framework, period, reviewer=reviewer, admin=program_admin)
    audit([acme], auditor=auditor, admin=program_admin)
    one = queries_for_the_period_files(period)

    others = [
        published(committed_org(framework, name), period, reviewer=reviewer, admin=program_admin)
        for name in ("Bramble Systems", "Cobalt Reasoning")
    ]
    audit(others, auditor=auditor, admin=program_admin)

    assert queries_for_the_period_files(period) == one
    assert one <= 20
