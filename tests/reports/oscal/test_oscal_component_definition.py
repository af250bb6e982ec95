"""Published reports as an OSCAL component-definition: what the public reads, and nothing more."""

from urllib.parse import urlparse

import pytest
from django.conf import settings

from commitments.models import ImplementationStatus
from commitments.services.reports import item_update, report_create
from reports.oscal.common import sha256_uri
from reports.oscal.documents import all_documents, report_documents
from reports.services import publication_correct
from tests.reports.oscal.conftest import (
    RESTRICTED_TITLE,
    evidence_of,
    hashes_of,
    loaded,
    prop_values,
    resources_by_uuid,
)
from tests.reports.oscal.oscal_checks import validated
from tests.reports.public_builders import committed_org, officer_of

pytestmark = pytest.mark.django_db


def component_definition_of(report) -> bytes:
    [content] = [
        c for name, c in report_documents(report).items() if name.startswith("component-definition-")
    ]
    return content


def test_a_published_report_is_a_component_definition_trestle_accepts(acme):
    content = component_definition_of(acme)
    model = validated(content)

    [component] = model.components
    assert component.title == "Acme Labs: Tiny framework tiny, 2026"
    assert loaded(content)["components"][0]["type"] == "process-procedure"
    [implementation] = component.control_implementations
    assert [r.control_id for r in implementation.implemented_requirements] == [
        "tiny.p1.m1",
        "tiny.p1.m2",
        "tiny.p1.m3",
    ]


def test_each_item_response_states_its_status_narrative_assurance_and_metrics(acme):
    body = loaded(component_definition_of(acme))
    [component] = body["components"]
    requirements = component["control-implementations"][0]["implemented-requirements"]
    first = requirements[0]

    assert first["description"] == "We screen every training source. (tiny.p1.m1)"
    assert prop_values(first, "implementation-status") == [ImplementationStatus.IMPLEMENTED.value]
    assert prop_values(first, "assurance") == ["reviewer_verified"]
    assert prop_values(first, "verdict") == ["verified"]
    [metric] = [p for p in first["props"] if p["name"] == "metric-reports"]
    assert (metric["value"], metric["class"]) == ("12", "count")
    assert "Data source: Case system export." in metric["remarks"]
    assert prop_values(component, "report-reference") == [acme.reference]


def test_evidence_is_linked_by_its_sha256_and_a_public_file_by_its_public_address(client, acme):
    body = loaded(component_definition_of(acme))
    resources = resources_by_uuid(body)
    requirement = body["components"][0]["control-implementations"][0]["implemented-requirements"][0]
    linked = [resources[link["href"].removeprefix("#")] for link in requirement["links"]]

    public_file = next(e for e in evidence_of(acme, "public") if e.kind == "file")
    [resource] = [r for r in resources.values() if public_file.sha256 in hashes_of(r)]
    assert resource in linked
    assert resource["title"] == public_file.title
    address = resource["rlinks"][0]["href"]
    assert address.startswith(settings.SITE_URL)
    download = client.get(urlparse(address).path)  # anyone can fetch it, and it is those bytes
    assert download.status_code == 200
    assert resource["rlinks"][1]["href"] == sha256_uri(public_file.sha256)


def test_restricted_evidence_is_only_its_hash(acme):
    content = component_definition_of(acme)
    resources = resources_by_uuid(loaded(content))
    restricted = evidence_of(acme, "restricted")

    assert restricted
    assert RESTRICTED_TITLE.encode() not in content
    for evidence in restricted:
        [resource] = [r for r in resources.values() if evidence.sha256 in hashes_of(r)]
        assert resource["title"] == "Restricted evidence"
        assert [link["href"] for link in resource["rlinks"]] == [sha256_uri(evidence.sha256)]
        assert "media-type" not in resource["rlinks"][0]
        assert prop_values(resource, "size-bytes") == []


def test_an_unpublished_report_is_in_no_document(acme, framework, period):
    draft_org = committed_org(framework, "Quiet Harbor AI")
    officer = officer_of(draft_org)
    draft = report_create(organisation=draft_org, period=period, acting_user=officer)
    item = draft.items.select_related("node").first()
    item_update(
        item=item,
        acting_user=officer,
        expected_version=item.version,
        status=ImplementationStatus.PLANNED,
        narrative="DRAFT-ONLY-NARRATIVE",
        metrics={},
    )

    everything = b"".join(all_documents().values())
    assert b"DRAFT-ONLY-NARRATIVE" not in everything
    assert b"Quiet Harbor AI" not in everything
    assert list(report_documents(draft)) == ["catalog-tiny-1.0.json"]


def test_a_correction_replaces_the_published_version_under_the_same_identifiers(acme, program_admin):
    before = loaded(component_definition_of(acme))
    acme.organisation.name = "Acme Labs Ltd"  # housekeeping rename, then a correction republishes
    acme.organisation.save(update_fields=["name"])
    second = publication_correct(report=acme, acting_user=program_admin, reason="Legal name updated.")
    after = loaded(component_definition_of(acme))

    [component] = after["components"]
    assert prop_values(component, "publication-version") == ["2"]
    assert prop_values(component, "snapshot-sha256") == [second.snapshot_sha256]
    assert prop_values(component, "correction-reason") == ["Legal name updated."]
    assert after["uuid"] == before["uuid"]
    assert component["uuid"] == before["components"][0]["uuid"]
    assert after["metadata"]["version"] == "publication 2"
    assert component["title"] == "Acme Labs Ltd: Tiny framework tiny, 2026"
    validated(component_definition_of(acme))
