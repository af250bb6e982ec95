"""The audit report PDF includes, for a report in an engagement's scope, the findings on its items
and the attestation, or says the engagement is not yet attested; its manifest states the attested
audits ("audit", schema version 3), which the standalone verifier prints."""

import json

import jsonschema
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import Engagement
from commitments.vocabulary import FindingKind, Opinion
from reports.models import ArtifactStatus
from reports.pdf.audit import audit_report_context
from reports.pdf.documents import MANIFEST_SCHEMA_FILE, document_build
from reports.pdf.services import artifact_read, artifact_render, artifact_request
from reports.pdf.signing import signing_material
from tests.audits.public_builders import ATTESTED_ON, attestation_sign, audited
from tests.builders import period_for
from tests.reports.pdf.pdf_reading import ReadPdf, squash
from tests.reports.public_builders import committed_org, published
from tools.verify_report import format_result, verify_pdf_bytes

SCHEMA = json.loads(MANIFEST_SCHEMA_FILE.read_text())

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


def _document(report, kind="audit"):
    artifact = artifact_request(kind=kind, acting_user=None, report=report, queue=False)
    return document_build(artifact, signer_fingerprint="0" * 64)


def _html(report) -> str:
    return _document(report).html


def _manifest(report, kind="audit") -> dict:
    manifest = _document(report, kind).manifest
    jsonschema.validate(manifest, SCHEMA, cls=jsonschema.Draft202012Validator)
    return manifest


def _refused(manifest) -> bool:
    return not jsonschema.Draft202012Validator(SCHEMA).is_valid(manifest)


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


def test_the_rendered_pdf_holds_the_findings_and_the_verifier_prints_the_opinion(
    report, auditor, program_admin
):
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    _, attestation = audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)
    artifact = artifact_render(
        artifact_request(kind="audit", acting_user=None, report=report, queue=False).pk
    )
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    pdf = artifact_read(artifact)
    text = squash(ReadPdf(pdf).text)
    assert squash("Independent audit") in text
    assert squash("Fixed by the March release.") in text

    result = verify_pdf_bytes(pdf, root=signing_material().root_pem)

    assert result.ok, result.failures
    assert result.manifest["schema_version"] == 3
    url = settings.SITE_URL + reverse("audits:public_attestation", args=[attestation.pk])
    assert (
        f"  Audit         opinion unqualified, attested 2026-03-31 by Dana Whitfield (Harbourside Assurance "
        f"LLP); findings: 1 conforms, 1 nonconformity; attestation {attestation.pk}: {url}\n"
    ) in format_result(result)


# --- the manifest's "audit" ----------------------------------------------------------------------


def test_the_manifest_states_the_current_attestation_and_the_findings_on_the_reports_items(
    client, report, auditor, program_admin
):
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    engagement, first = audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)
    correction = attestation_sign(
        engagement, by=auditor, opinion=Opinion.QUALIFIED, corrects=first, correction_reason="Two missed."
    )
    # Not yet attested: the auditor's work in progress is not stated.
    audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS, attest=False, title="Second")

    manifest = _manifest(report)

    path = reverse("audits:public_attestation", args=[correction.pk])
    assert manifest["schema_version"] == 3
    assert manifest["audit"] == [
        {
            "engagement_id": engagement.pk,
            "standard": "ISAE 3000 (Revised), limited assurance",
            "auditors": ["Dana Whitfield"],
            "firm": "Harbourside Assurance LLP",
            "attestation": {
                "id": correction.pk,
                "url": settings.SITE_URL + path,
                "opinion": "qualified",
                "attested_on": ATTESTED_ON.isoformat(),
            },
            "findings": [
                {"node": "tiny.p1.m1", "kind": "conforms"},
                {"node": "tiny.p1.m2", "kind": "nonconformity"},
            ],
        }
    ]
    page = client.get(path)  # the address leads the public to the attestation
    assert page.status_code == 200
    assert Opinion.QUALIFIED.label in page.content.decode()


def test_the_manifest_of_a_report_no_attested_audit_covers_states_an_empty_list(
    report, framework, auditor, program_admin, reviewer
):
    assert _manifest(report)["audit"] == []
    audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS, attest=False)
    other = published(
        committed_org(framework, "Bluefin Labs"), report.period, reviewer=reviewer, admin=program_admin
    )
    audited(other, auditor=auditor, admin=program_admin, findings=FINDINGS)

    assert _manifest(report)["audit"] == []


def test_an_attested_engagement_with_no_finding_on_the_report_states_an_empty_list_of_findings(
    report, auditor, program_admin
):
    auditor.full_name = ""
    auditor.save()
    engagement, attestation = audited(report, auditor=auditor, admin=program_admin, findings={})

    [audit] = _manifest(report)["audit"]

    assert (audit["engagement_id"], audit["attestation"]["id"]) == (engagement.pk, attestation.pk)
    assert audit["findings"] == []
    assert audit["auditors"] == []  # an auditor with no name on file: the firm stands for them


def test_hostile_names_and_standard_are_stated_verbatim(report, auditor, program_admin):
    auditor.full_name = 'Zoë "O\'Brien" \u202eevil </script>'
    auditor.save()
    engagement, _ = audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)
    hostile = {"standard": "ISAE 3000 & <b>ISO</b>\nline two " + "x" * 160, "firm": '{"json": [1]}'}
    Engagement.objects.filter(pk=engagement.pk).update(**hostile)  # past the form's checks

    [audit] = _manifest(report)["audit"]

    assert (audit["standard"], audit["firm"]) == (hostile["standard"], hostile["firm"])
    assert audit["auditors"] == ['Zoë "O\'Brien" \u202eevil </script>']


def test_the_public_report_states_no_audit(report, auditor, program_admin):
    audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)

    assert "audit" not in _manifest(report, "public")


def test_the_schema_refuses_unknown_keys_and_words_inside_audit(report, auditor, program_admin):
    audited(report, auditor=auditor, admin=program_admin, findings=FINDINGS)
    manifest = _manifest(report)
    public = _manifest(report, "public")

    def changed(change) -> dict:
        copy = json.loads(json.dumps(manifest))
        change(copy["audit"][0])
        return copy

    for manifest_refused in (
        changed(lambda audit: audit.update(statement="Added.")),
        changed(lambda audit: audit["attestation"].update(signed_by="someone")),
        changed(lambda audit: audit["findings"][0].update(description="Added.")),
        changed(lambda audit: audit["attestation"].update(opinion="glowing")),
        changed(lambda audit: audit["findings"][0].update(kind="excellent")),
        changed(lambda audit: audit.pop("findings")),
        {k: v for k, v in manifest.items() if k != "audit"},  # an audit report must state it
        {**public, "audit": []},  # a public report states none
        {**manifest, "schema_version": 2},
    ):
        assert _refused(manifest_refused)


def test_the_schemas_words_are_the_vocabularys():
    definition = SCHEMA["$defs"]["audit"]["properties"]
    assert definition["attestation"]["properties"]["opinion"]["enum"] == list(Opinion.values)
    assert definition["findings"]["items"]["properties"]["kind"]["enum"] == list(FindingKind.values)
