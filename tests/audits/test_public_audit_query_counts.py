"""With attested audits, the public pages still run a fixed number of queries whatever the number
of organisations, engagements and findings."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.vocabulary import FindingKind
from tests.audits.public_builders import attestation_sign, audited, finding_record, item_of
from tests.builders import period_for
from tests.factories import UserFactory
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

FINDINGS = {
    "tiny.p1.m1": FindingKind.CONFORMS,
    "tiny.p1.m2": (FindingKind.OBSERVATION, "We agree."),
    "tiny.p1.m3": FindingKind.NONCONFORMITY,
}
URLS = [
    reverse("home"),
    reverse("home") + "?principle=tiny.p1",
    reverse("public:organisation", args=["lab-0"]),
    reverse("public:report", args=["lab-0", "tiny", "2025"]),
    reverse("public:item", args=["lab-0", "tiny", "2025", "tiny.p1.m1"]),
]


def _audited_labs(framework, period, reviewer, admin, numbers):
    for n in numbers:
        org = committed_org(framework, f"Lab {n}", slug=f"lab-{n}")
        report = published(org, period, reviewer=reviewer, admin=admin)
        audited(report, auditor=UserFactory(platform_role="auditor"), admin=admin, findings=FINDINGS)


def _count(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", URLS)
def test_audits_add_a_fixed_number_of_queries(client, framework, reviewer, program_admin, url):
    period = period_for(framework, label="2025", year=2025)
    _audited_labs(framework, period, reviewer, program_admin, range(2))
    with_two = _count(client, url)
    _audited_labs(framework, period, reviewer, program_admin, range(2, 6))
    assert _count(client, url) == with_two
    # The pages' own limit (tests/reports/public/test_public_query_counts.py), plus the audit's
    # attestations and auditors, read once for the whole page.
    assert with_two <= 8 + 2


def test_the_attestation_page_runs_a_fixed_number_of_queries(client, framework, reviewer, program_admin):
    period = period_for(framework, label="2025", year=2025)
    few = UserFactory(platform_role="auditor")
    many = UserFactory(platform_role="auditor")
    reports = []
    for n in range(4):
        org = committed_org(framework, f"Lab {n}", slug=f"lab-{n}")
        reports.append(published(org, period, reviewer=reviewer, admin=program_admin))
    _, one = audited(reports[0], auditor=few, admin=program_admin, findings=FINDINGS)
    engagement, _ = audited(reports[1], auditor=many, admin=program_admin, findings=FINDINGS, attest=False)
    for report in reports[2:]:
        engagement.organisations.add(report.organisation)
        for node_id in FINDINGS:
            finding_record(engagement, item_of(report, node_id), by=many)
    several = attestation_sign(engagement, by=many)
    one_url, several_url = (reverse("audits:public_attestation", args=[a.pk]) for a in (one, several))
    assert _count(client, one_url) == _count(client, several_url)
