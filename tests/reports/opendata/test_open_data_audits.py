"""Open data of independent audits: audits.csv and the engagements in data.json, attested only."""

import json

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator

from commitments.vocabulary import AssuranceLevel, FindingKind, Opinion
from reports.opendata.services import opendata_rebuild
from tests.audits.public_builders import attestation_sign, audited, finding_record, item_of
from tests.builders import period_for
from tests.reports.opendata.test_open_data import SCHEMA, document_of, fetch, rows
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

FINDINGS = {
    "tiny.p1.m1": FindingKind.CONFORMS,
    "tiny.p1.m2": (FindingKind.NONCONFORMITY, "=HYPERLINK(1) We fixed it."),
}


def url(name, period="2025"):
    return f"/data/tiny/{period}/{name}"


@pytest.fixture
def year(framework):
    return period_for(framework, label="2025", year=2025)


@pytest.fixture
def acme(framework, year, reviewer, program_admin):
    return published(committed_org(framework, "Acme Labs"), year, reviewer=reviewer, admin=program_admin)


def _attest(acme, auditor, admin, **options):
    auditor.full_name = "Dana Whitfield"
    auditor.save()
    return audited(acme, auditor=auditor, admin=admin, findings=FINDINGS, **options)


def test_before_attestation_the_files_hold_nothing_of_the_audit(client, acme, auditor, program_admin):
    _attest(acme, auditor, program_admin, attest=False)
    opendata_rebuild(acme.period_id)
    assert rows(fetch(client, url("audits.csv"))) == []
    document = document_of(fetch(client, url("data.json")))
    assert document["engagements"] == []
    assert AssuranceLevel.INDEPENDENTLY_AUDITED.value not in fetch(client, url("matrix.csv")).body.decode()
    Draft202012Validator(SCHEMA).validate(document)


def test_audits_csv_has_a_row_per_attested_finding(client, acme, auditor, program_admin):
    _engagement, attestation = _attest(acme, auditor, program_admin, opinion=Opinion.QUALIFIED)
    opendata_rebuild(acme.period_id)
    found = rows(fetch(client, url("audits.csv")))
    assert [(r["organisation_slug"], r["node_id"], r["finding"]) for r in found] == [
        ("acme-labs", "tiny.p1.m1", "conforms"),
        ("acme-labs", "tiny.p1.m2", "nonconformity"),
    ]
    row = found[1]
    assert row["organisation"] == "Acme Labs"
    assert row["auditors"] == "Dana Whitfield"
    assert row["firm"] == "Harbourside Assurance LLP"
    assert row["opinion"] == "qualified"
    assert row["attested_on"] == "2026-03-31"
    assert row["attestation_id"] == str(attestation.pk)
    assert row["attestation_url"] == f"{settings.SITE_URL}/audits/attestations/{attestation.pk}/"
    # The company's response, escaped like every other cell that a spreadsheet would run.
    assert row["company_response"] == "'=HYPERLINK(1) We fixed it."


def test_data_json_holds_the_engagement_and_validates(client, acme, auditor, program_admin):
    engagement, attestation = _attest(acme, auditor, program_admin)
    opendata_rebuild(acme.period_id)
    document = document_of(fetch(client, url("data.json")))
    Draft202012Validator(SCHEMA).validate(document)
    [entry] = document["engagements"]
    assert entry["title"] == engagement.title
    assert entry["auditors"] == ["Dana Whitfield"]
    assert entry["standard"] == engagement.standard
    assert entry["organisations"] == ["acme-labs"]
    assert entry["attestation"]["id"] == attestation.pk
    assert entry["attestation"]["opinion"] == "unqualified"
    assert entry["attestation"]["corrects"] is None
    assert [(f["node_id"], f["kind"]) for f in entry["findings"]] == [
        ("tiny.p1.m1", "conforms"),
        ("tiny.p1.m2", "nonconformity"),
    ]
    assert entry["findings"][1]["company_response"] == "=HYPERLINK(1) We fixed it."
    items = {i["node_id"]: i for i in document["organisations"][0]["items"]}
    assert items["tiny.p1.m1"]["assurance"] == AssuranceLevel.INDEPENDENTLY_AUDITED.value
    assert items["tiny.p1.m2"]["assurance"] == AssuranceLevel.REVIEWER_VERIFIED.value
    matrix = rows(fetch(client, url("matrix.csv")))[0]
    assert matrix["tiny.p1.m1:assurance"] == AssuranceLevel.INDEPENDENTLY_AUDITED.value


def test_a_correction_replaces_the_attestation_in_the_files(client, acme, auditor, program_admin):
    engagement, first = _attest(acme, auditor, program_admin)
    correction = attestation_sign(
        engagement, by=auditor, opinion=Opinion.ADVERSE, corrects=first, correction_reason="Sample too small."
    )
    opendata_rebuild(acme.period_id)
    assert {r["attestation_id"] for r in rows(fetch(client, url("audits.csv")))} == {str(correction.pk)}
    [entry] = document_of(fetch(client, url("data.json")))["engagements"]
    assert entry["attestation"]["corrects"] == first.pk
    assert entry["attestation"]["correction_reason"] == "Sample too small."


def test_other_periods_and_organisations_outside_scope_are_left_out(
    client, framework, acme, auditor, program_admin, reviewer
):
    other = published(
        committed_org(framework, "Bluefin Labs"), acme.period, reviewer=reviewer, admin=program_admin
    )
    engagement, _ = _attest(acme, auditor, program_admin, attest=False)
    finding_record(engagement, item_of(other, "tiny.p1.m3"), by=auditor)
    earlier = published(
        acme.organisation,
        period_for(framework, label="2024", year=2024),
        reviewer=reviewer,
        admin=program_admin,
    )
    finding_record(engagement, item_of(earlier, "tiny.p1.m3"), by=auditor)
    attestation_sign(engagement, by=auditor)
    opendata_rebuild(acme.period_id)
    opendata_rebuild(earlier.period_id)
    assert {r["organisation_slug"] for r in rows(fetch(client, url("audits.csv")))} == {"acme-labs"}
    assert rows(fetch(client, url("audits.csv", period="2024"))) == []
    assert document_of(fetch(client, url("data.json", period="2024")))["engagements"] == []


def test_an_attestation_queues_the_rebuild_of_its_periods(
    client, acme, auditor, program_admin, django_capture_on_commit_callbacks
):
    opendata_rebuild(acme.period_id)
    assert rows(fetch(client, url("audits.csv"))) == []
    engagement, _ = _attest(acme, auditor, program_admin, attest=False)
    with django_capture_on_commit_callbacks(execute=True):
        attestation_sign(engagement, by=auditor)
    assert len(rows(fetch(client, url("audits.csv")))) == 2
    checksums = fetch(client, url("checksums.txt")).body.decode()
    assert "  audits.csv\n" in checksums


def test_the_schema_names_every_finding_kind_and_opinion():
    definition = SCHEMA["$defs"]["engagement"]["properties"]
    assert definition["attestation"]["properties"]["opinion"]["enum"] == list(Opinion.values)
    assert definition["findings"]["items"]["properties"]["kind"]["enum"] == list(FindingKind.values)


def test_the_data_page_describes_audits_csv(client, acme):
    page = client.get("/data/").content.decode()
    assert "audits.csv" in page and "attestation_url" in page


def test_the_document_is_valid_json_schema_draft_2020_12():
    Draft202012Validator.check_schema(json.loads(json.dumps(SCHEMA)))
