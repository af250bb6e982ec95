"""Attested audit engagements as OSCAL assessment-results: findings and observations pointing at
evidence by hash, the attestation's opinion; nothing of an engagement before its attestation."""

import pytest

from commitments.vocabulary import Opinion
from reports.oscal.catalogs import catalog
from reports.oscal.documents import (
    all_documents,
    assessment_results_file_name,
    engagement_documents,
    period_assessment_results,
)
from tests.audits.public_builders import attestation_sign, audited
from tests.reports.oscal.conftest import (
    FINDINGS,
    RESTRICTED_TITLE,
    evidence_of,
    hashes_of,
    loaded,
    prop_values,
    resources_by_uuid,
)
from tests.reports.oscal.oscal_checks import validated

pytestmark = pytest.mark.django_db


def results_of(engagement) -> bytes:
    return engagement_documents(engagement)[assessment_results_file_name(engagement)]


def test_an_attested_engagement_is_assessment_results_trestle_accepts(attested):
    engagement, attestation = attested
    model = validated(results_of(engagement))

    [result] = model.results
    assert result.title == "Acme 2026 audit"
    assert len(result.findings) == len(FINDINGS) == len(result.observations)


def test_each_finding_targets_the_mitigations_statement_satisfied_or_not(attested, framework):
    engagement, _ = attested
    [result] = loaded(results_of(engagement))["results"]
    statements = {
        part["id"]
        for control in catalog(framework)["catalog"]["groups"][0]["controls"]
        for part in control["parts"]
    }

    states = {
        f["target"]["target-id"]: (f["target"]["status"]["state"], f["target"]["status"]["reason"])
        for f in result["findings"]
    }
    assert states == {
        "tiny.p1.m1_smt": ("satisfied", "pass"),
        "tiny.p1.m2_smt": ("not-satisfied", "fail"),
        "tiny.p1.m3_smt": ("satisfied", "other"),
    }
    assert set(states) <= statements  # every target is a part of the framework's catalog
    nonconformity = next(f for f in result["findings"] if f["target"]["target-id"] == "tiny.p1.m2_smt")
    assert nonconformity["remarks"] == "Company response:\n\nWe will document the procedure by June."
    assert prop_values(nonconformity, "finding-kind") == ["nonconformity"]


def test_observations_point_at_the_items_evidence_by_its_hash(attested, acme):
    engagement, _ = attested
    content = results_of(engagement)
    body = loaded(content)
    [result] = body["results"]
    resources = resources_by_uuid(body)
    findings = {f["related-observations"][0]["observation-uuid"]: f for f in result["findings"]}

    pointed_hashes = set()
    for observation in result["observations"]:
        assert observation["uuid"] in findings
        assert observation["methods"] == ["EXAMINE"]
        for evidence in observation["relevant-evidence"]:
            resource = resources[evidence["href"].removeprefix("#")]
            pointed_hashes |= hashes_of(resource)
            assert all(h in evidence["description"] for h in hashes_of(resource))
    files = [e for e in evidence_of(acme, "public") + evidence_of(acme, "restricted") if e.kind == "file"]
    assert len(files) == 6
    assert {e.sha256 for e in files} == pointed_hashes
    assert RESTRICTED_TITLE.encode() not in content


def test_the_attestations_opinion_statement_and_auditors_are_in_the_result(attested):
    engagement, attestation = attested
    body = loaded(results_of(engagement))
    [result] = body["results"]
    [statement] = result["attestations"]

    [opinion] = statement["parts"]
    assert prop_values(opinion, "opinion") == [Opinion.UNQUALIFIED.value]
    assert opinion["prose"] == attestation.statement
    assert prop_values(result, "attestation-id") == [str(attestation.pk)]
    names = {p["name"] for p in body["metadata"]["parties"]}
    assert {"Dana Whitfield", "Harbourside Assurance LLP", "Acme Labs"} <= names
    assert body["import-ap"]["href"].endswith(f"/audits/attestations/{attestation.pk}/")


def test_an_engagement_is_in_no_document_before_its_attestation(acme, auditor, program_admin):
    engagement, _ = audited(
        acme, auditor=auditor, admin=program_admin, findings=FINDINGS, attest=False, title="UNATTESTED-AUDIT"
    )

    assert assessment_results_file_name(engagement) not in engagement_documents(engagement)
    assert assessment_results_file_name(engagement) not in all_documents()
    period_file = period_assessment_results(acme.period)
    validated(period_file)
    assert b"UNATTESTED-AUDIT" not in period_file
    [result] = loaded(period_file)["results"]
    assert "findings" not in result
    [selection] = result["reviewed-controls"]["control-selections"]
    # Every control selected, then each excluded: nothing was reviewed.
    excluded = [c["control-id"] for c in selection["exclude-controls"]]
    assert excluded == ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]


def test_a_corrected_attestation_gives_way_to_its_correction(attested, auditor):
    engagement, first = attested
    correction = attestation_sign(
        engagement,
        by=auditor,
        opinion=Opinion.QUALIFIED,
        statement="Except for the nonconformity, nothing came to our attention.",
        corrects=first,
        correction_reason="The nonconformity was left out of the opinion.",
    )
    body = loaded(results_of(engagement))
    [result] = body["results"]

    assert prop_values(result, "opinion") == [Opinion.QUALIFIED.value]
    assert prop_values(result, "attestation-id") == [str(correction.pk)]
    parts = {p["name"]: p for p in result["attestations"][0]["parts"]}
    assert parts["correction"]["prose"] == "The nonconformity was left out of the opinion."
    validated(results_of(engagement))
