"""The OSCAL files of a period's open data: served like the other files, listed on /data/, valid
OSCAL, and holding what the public may read only."""

import json

import pytest

from reports.opendata.services import opendata_rebuild
from tests.audits.public_builders import audited
from tests.reports.opendata.test_open_data import fetch
from tests.reports.oscal.conftest import FINDINGS, RESTRICTED_TITLE, acme_attested, acme_published
from tests.reports.oscal.oscal_checks import validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(framework, period, reviewer, program_admin):
    return acme_published(framework, period, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def attested(acme, auditor, program_admin):
    return acme_attested(acme, auditor=auditor, admin=program_admin)


OSCAL_FILES = ["oscal-catalog.json", "oscal-component-definition.json", "oscal-assessment-results.json"]


def url(name):
    return f"/data/tiny/2026/{name}"


def test_the_oscal_files_download_and_are_valid_oscal(client, attested):
    engagement, _ = attested
    opendata_rebuild(engagement.periods.get().pk)

    for name in OSCAL_FILES:
        response = fetch(client, url(name))
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/json"
        validated(response.body)
    results = json.loads(fetch(client, url("oscal-assessment-results.json")).body)["assessment-results"]
    [result] = results["results"]
    assert len(result["findings"]) == len(FINDINGS)


def test_the_component_definition_names_the_catalog_beside_it(client, acme):
    body = json.loads(fetch(client, url("oscal-component-definition.json")).body)["component-definition"]

    [component] = body["components"]
    assert component["control-implementations"][0]["source"] == "oscal-catalog.json"


def test_no_oscal_file_holds_restricted_evidence_or_an_unattested_audit(client, acme, auditor, program_admin):
    audited(
        acme, auditor=auditor, admin=program_admin, findings=FINDINGS, attest=False, title="NOT-YET-ATTESTED"
    )
    opendata_rebuild(acme.period_id)

    for name in OSCAL_FILES:
        body = fetch(client, url(name)).body
        assert RESTRICTED_TITLE.encode() not in body, name
        assert b"NOT-YET-ATTESTED" not in body, name


def test_the_files_are_the_same_for_everyone(client, acme, reviewer, officer, program_admin):
    """Open data has no access ladder: one set of public bytes, whoever asks."""
    anonymous = {name: fetch(client, url(name)).body for name in OSCAL_FILES}
    for user in (officer, reviewer, program_admin):
        client.force_login(user)
        assert {name: fetch(client, url(name)).body for name in OSCAL_FILES} == anonymous


def test_the_data_page_lists_and_links_them_with_their_checksums(client, acme):
    fetch(client, url("data.json"))  # the first download builds the period's files
    page = client.get("/data/tiny/2026/").content.decode()
    checksums = fetch(client, url("checksums.txt")).body.decode()

    for name in OSCAL_FILES:
        assert f'href="{url(name)}"' in page
        assert f"  {name}\n" in checksums
    assert 'id="oscal"' in page
