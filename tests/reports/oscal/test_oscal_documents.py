"""The OSCAL files as the bundle and the export get them: their names, their catalog references,
and the same bytes every time."""

import json

import pytest
from django.core.cache import cache

from reports.oscal.documents import all_documents, engagement_documents, report_documents
from tests.reports.oscal.oscal_checks import validated
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db


def test_report_documents_are_its_catalog_component_definition_and_audits(attested, acme):
    engagement, _ = attested
    files = report_documents(acme)

    assert list(files) == [
        f"assessment-results-engagement-{engagement.pk}.json",
        "catalog-tiny-1.0.json",
        f"component-definition-acme-labs-{acme.reference}.json",
    ]
    for content in files.values():
        validated(content)


def test_engagement_documents_hold_every_published_report_in_scope(
    attested, acme, framework, period, reviewer, program_admin
):
    engagement, _ = attested
    outside = committed_org(framework, "Outside Scope Labs")
    other = published(outside, period, reviewer=reviewer, admin=program_admin)
    files = engagement_documents(engagement)

    assert list(files) == [
        f"assessment-results-engagement-{engagement.pk}.json",
        "catalog-tiny-1.0.json",
        f"component-definition-acme-labs-{acme.reference}.json",
    ]
    assert other.reference.encode() not in b"".join(files.values())
    for content in files.values():
        validated(content)


def test_a_component_definition_names_its_catalog_by_the_catalogs_file_name(acme):
    files = report_documents(acme)
    [name] = [n for n in files if n.startswith("component-definition-")]
    body = json.loads(files[name])["component-definition"]

    [implementation] = body["components"][0]["control-implementations"]
    assert implementation["source"] == "catalog-tiny-1.0.json"
    assert implementation["source"] in files


def test_two_exports_are_byte_for_byte_the_same(attested):
    first = all_documents()
    cache.clear()
    second = all_documents()

    assert first == second
    assert len(first) == 3


def test_the_export_holds_every_framework_publication_and_attested_engagement(attested, acme):
    engagement, _ = attested
    assert sorted(all_documents()) == [
        f"assessment-results-engagement-{engagement.pk}.json",
        "catalog-tiny-1.0.json",
        f"component-definition-acme-labs-{acme.reference}.json",
    ]
