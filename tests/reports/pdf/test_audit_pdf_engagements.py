"""The audit report PDF includes, for a report in an engagement's scope, the findings on its items
and the attestation, or says the engagement is not yet attested."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.vocabulary import FindingKind, Opinion
from reports.models import ArtifactStatus
from reports.pdf.audit import audit_report_context
from reports.pdf.documents import document_build
from reports.pdf.services import artifact_read, artifact_render, artifact_request
from tests.audits.public_builders import attestation_sign, audited
from tests.builders import period_for
from tests.reports.pdf.pdf_reading import ReadPdf, squash
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

FINDINGS = {
    "tiny.p1.m1": FindingKind.CONFORMS,
    "tiny.p1.m2": (FindingKind.NONCONFORMITY, "Fixed by the March release."),
}


@pytest.fixture
def report(framework, reviewer, program_admin):
    return published(
        committed_org(framework, "Acme Labs"), period_for(framework), reviewer=reviewer, admin=program_admin
    )


def _html(report) -> str:
    artifact = artifact_request(kind="audit", acting_user=None, report=report, queue=False)
    return document_build(artifact, signer_fingerprint="0" * 64).html


def test_a_report_outside_any_engagement_has_no_audit_section(report):
    assert 'id="audits"' not in _html(report)


def test_before_attestation_the_findings_show_as_not_yet_attested(report, auditor, program_admin):
    engagement, _ = audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS, attest=False)
    html = _html(report)
    assert engagement.title in html
    assert "Not yet attested" in html
    assert "Nonconformity on tiny.p1.m2." in html and "Fixed by the March release." in html


def test_after_attestation_the_opinion_statement_and_date_show(report, auditor, program_admin):
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    engagement, first = audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)
    correction = attestation_sign(
        engagement,
        by=auditor,
        opinion=Opinion.QUALIFIED,
        corrects=first,
        correction_reason="Two quarters missed.",
    )
    html = _html(report)
    assert "Not yet attested" not in html
    assert "Dana Whitfield (Harbourside Assurance LLP)" in html
    assert f"<strong>{Opinion.QUALIFIED.label}</strong> opinion, attested 31 March 2026" in html
    assert f"attestation {correction.pk}, correcting attestation {first.pk}: Two quarters missed." in html
    assert Opinion.UNQUALIFIED.label + "</strong>" not in html


def test_an_engagement_of_another_organisation_or_period_is_not_in_the_report(
    report, framework, auditor, program_admin, reviewer
):
    other = published(
        committed_org(framework, "Bluefin Labs"), report.period, reviewer=reviewer, admin=program_admin
    )
    engagement, _ = audited(other, auditor=auditor, admin=program_admin, findings=FINDINGS)
    assert engagement.title not in _html(report)


def test_the_context_runs_a_fixed_number_of_queries_with_findings(report, framework, auditor, program_admin):
    audited(report, auditor=auditor, admin=program_admin, findings={"tiny.p1.m1": FindingKind.CONFORMS})
    with CaptureQueriesContext(connection) as one:
        audit_report_context(report)
    audited(
        report, auditor=auditor, admin=program_admin, findings=FINDINGS, attest=False, title="Second look"
    )
    with CaptureQueriesContext(connection) as two:
        context = audit_report_context(report)
    assert len(one) == len(two)
    assert [len(e.findings) for e in context["engagements"]] == [1, 2]


def test_the_rendered_pdf_holds_the_findings(report, auditor, program_admin):
    audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)
    artifact = artifact_render(
        artifact_request(kind="audit", acting_user=None, report=report, queue=False).pk
    )
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    text = squash(ReadPdf(artifact_read(artifact)).text)
    assert squash("Independent audit") in text
    assert squash("Fixed by the March release.") in text
