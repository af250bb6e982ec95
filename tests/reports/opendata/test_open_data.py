"""Open data under /data/: the files of a period, their checksums, schema and what never leaks."""

import csv
import datetime
import hashlib
import io
import json
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from jsonschema import Draft202012Validator

from commitments.models import ReportStatus
from commitments.services.evidence import evidence_add
from commitments.services.reports import MetricInput, item_update, report_create
from commitments.services.reviews import comment_add
from demo.walk import People, every_item_verified, report_walk
from reports.models import Publication
from tests.builders import advance, commit
from tests.factories import MembershipFactory, OrganisationFactory

FILES = [
    "mitigations.csv",
    "matrix.csv",
    "items.csv",
    "metrics.csv",
    "audits.csv",
    "data.json",
    "oscal-catalog.json",
    "oscal-component-definition.json",
    "oscal-assessment-results.json",
    "LICENSE.txt",
    "checksums.txt",
]
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "reports" / "schemas" / "open-data.schema.json").read_text()
)


def file_url(name, framework="tiny", period="2026"):
    return f"/data/{framework}/{period}/{name}"


def fetch(client, url, **headers):
    """GET `url`; a file's streamed bytes are read once into `response.body` (pages' too)."""
    response = client.get(url, headers=headers)
    response.body = b"".join(response.streaming_content) if response.streaming else response.content
    return response


def rows(response):
    return list(csv.DictReader(io.StringIO(response.body.decode("utf-8"), newline="")))


def document_of(response):
    return json.loads(response.body)


def fill_and_walk(report, *, officer, reviewer, admin, to, marker="", status="planned", narrative=None):
    """Answer every item with `marker` in every private place, then walk the report to state `to`."""
    for item in report.items.select_related("node").prefetch_related("node__metrics"):
        item_update(
            item=item,
            acting_user=officer,
            expected_version=item.version,
            status=status,
            narrative=f"Narrative {marker}" if narrative is None else narrative,
            areas_needing_progress=f"Areas {marker}",
            metrics={
                m.key: MetricInput(value=7, data_source=f"Source {marker}") for m in item.node.metrics.all()
            },
        )
        evidence_add(
            item=item,
            acting_user=officer,
            title=f"Restricted title {marker}",
            effective_date=datetime.date(2026, 3, 1),
            visibility="restricted",
            upload=SimpleUploadedFile("policy.txt", f"Private policy {marker}\n".encode()),
        )
    return report_walk(
        report,
        to=to,
        by=People(officer=officer, reviewer=reviewer, admin=admin),
        review=lambda report: comment_add(
            item=report.items.first(), acting_user=reviewer, body=f"Reviewer comment {marker}"
        ),
        changes_message=f"Fix {marker}",
        verdict=every_item_verified("Policy seen."),
    )


def new_org(framework, name, slug):
    organisation = OrganisationFactory(name=name, slug=slug)
    commit(organisation, framework)
    officer = MembershipFactory(organisation=organisation, role="officer").user
    return organisation, officer


@pytest.fixture
def published(report, officer, reviewer, program_admin):
    return advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)


def download_all(client):
    return {name: fetch(client, file_url(name)) for name in FILES}


def test_every_file_downloads_anonymously_with_its_content_type(client, published):
    expected = {
        "mitigations.csv": "text/csv; charset=utf-8",
        "matrix.csv": "text/csv; charset=utf-8",
        "items.csv": "text/csv; charset=utf-8",
        "metrics.csv": "text/csv; charset=utf-8",
        "audits.csv": "text/csv; charset=utf-8",
        "data.json": "application/json",
        "oscal-catalog.json": "application/json",
        "oscal-component-definition.json": "application/json",
        "oscal-assessment-results.json": "application/json",
        "LICENSE.txt": "text/plain; charset=utf-8",
        "checksums.txt": "text/plain; charset=utf-8",
    }

    responses = download_all(client)

    for name, response in responses.items():
        assert response.status_code == 200, name
        assert response["Content-Type"] == expected[name]
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_checksums_match_each_file_as_downloaded(client, published):
    responses = download_all(client)

    lines = responses["checksums.txt"].body.decode().splitlines()

    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    assert sorted(listed) == sorted(name for name in FILES if name != "checksums.txt")
    for name, digest in listed.items():
        assert hashlib.sha256(responses[name].body).hexdigest() == digest, name


def test_two_downloads_give_the_same_bytes(client, published, other_org, framework):
    first = download_all(client)

    second = download_all(client)

    assert {n: r.body for n, r in first.items()} == {n: r.body for n, r in second.items()}


def test_data_json_validates_against_the_published_schema(client, published):
    document = document_of(fetch(client, file_url("data.json")))

    Draft202012Validator.check_schema(SCHEMA)
    Draft202012Validator(SCHEMA).validate(document)
    assert document["organisations"][0]["items"][0]["assurance"] == "reviewer_verified"


def test_the_schema_is_served_at_its_stable_url_which_is_its_id(client, db):
    response = client.get("/data/schema/open-data.schema.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert json.loads(response.content)["$id"] == "/data/schema/open-data.schema.json"


def test_matrix_has_a_row_per_committed_organisation_including_those_not_reported(
    client, published, other_org
):
    matrix = rows(fetch(client, file_url("matrix.csv")))

    by_slug = {row["organisation_slug"]: row for row in matrix}
    assert list(by_slug) == ["bluefin-labs", "northwind-models"]
    assert by_slug["bluefin-labs"]["tiny.p1.m1"] == "not_reported"
    assert by_slug["bluefin-labs"]["tiny.p1.m1:assurance"] == "not_reported"
    assert by_slug["bluefin-labs"]["publication_version"] == ""
    assert by_slug["northwind-models"]["tiny.p1.m2"] == "planned"
    assert by_slug["northwind-models"]["tiny.p1.m2:assurance"] == "reviewer_verified"


def test_items_and_metrics_carry_status_assurance_values_and_publication(client, published):
    publication = Publication.objects.get()

    items = rows(fetch(client, file_url("items.csv")))
    metrics = rows(fetch(client, file_url("metrics.csv")))

    assert [row["node_id"] for row in items] == ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]
    assert items[0]["status"] == "planned"
    assert items[0]["verdict"] == "verified"
    assert items[0]["publication_version"] == "1"
    assert items[0]["snapshot_sha256"] == publication.snapshot_sha256
    assert items[0]["metric_count"] == "1"
    assert metrics == [
        {
            "organisation_slug": "northwind-models",
            "publication_version": "1",
            "node_id": "tiny.p1.m1",
            "metric_key": "reports",
            "metric_name": "Reports made",
            "unit": "count",
            "value": "12",
            "data_source": "Trust & safety case system export",
        }
    ]


def test_mitigations_list_each_reportable_node_with_its_principle_and_metrics(client, published):
    mitigations = rows(fetch(client, file_url("mitigations.csv")))

    assert [row["node_id"] for row in mitigations] == ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]
    assert mitigations[0]["principle_id"] == "tiny.p1"
    assert mitigations[0]["principle_title"] == "Principle one"
    assert mitigations[0]["metric_definitions"] == "reports:count"
    assert mitigations[1]["metric_definitions"] == ""


def test_a_superseded_publication_is_not_used(client, published, program_admin):
    first = Publication.objects.get()
    snapshot = json.loads(first.snapshot)
    for item in snapshot["items"]:
        item["status"] = "implemented"
        item["narrative"] = "Corrected narrative."
    text = json.dumps(snapshot, sort_keys=True)
    # publication_correct republishes the report's live content, and items cannot be edited while
    # a report is published; to prove item content comes from the newest snapshot, the second
    # version is stored the way a correction stores it: a new row superseding the first.
    Publication.objects.create(
        report=first.report,
        version=2,
        snapshot=text,
        snapshot_sha256=hashlib.sha256(text.encode()).hexdigest(),
        supersedes=first,
        correction_reason="Status was mistyped.",
        published_by=program_admin,
        published_at=first.published_at + datetime.timedelta(days=1),
    )

    responses = download_all(client)

    items = rows(responses["items.csv"])
    assert {row["publication_version"] for row in items} == {"2"}
    assert {row["narrative"] for row in items} == {"Corrected narrative."}
    assert rows(responses["matrix.csv"])[0]["tiny.p1.m1"] == "implemented"
    document = document_of(responses["data.json"])
    assert document["organisations"][0]["publication"]["correction_reason"] == "Status was mistyped."
    for name, response in responses.items():
        assert b"Scheduled for the next quarter." not in response.body, name
        assert first.snapshot_sha256.encode() not in response.body, name


def test_a_correction_through_the_service_replaces_the_first_version(client, published, program_admin):
    from reports.services import publication_correct

    first = Publication.objects.get()
    organisation = published.organisation
    organisation.name = "Northwind Models Ltd"  # housekeeping rename, then a correction republishes
    organisation.save(update_fields=["name"])
    second = publication_correct(report=published, acting_user=program_admin, reason="Legal name updated.")

    responses = download_all(client)

    assert {row["publication_version"] for row in rows(responses["items.csv"])} == {"2"}
    assert rows(responses["matrix.csv"])[0]["snapshot_sha256"] == second.snapshot_sha256
    publication = document_of(responses["data.json"])["organisations"][0]["publication"]
    assert (publication["version"], publication["correction_reason"]) == (2, "Legal name updated.")
    for name, response in responses.items():
        assert first.snapshot_sha256.encode() not in response.body, name


def test_unpublished_reports_restricted_titles_and_comments_never_reach_a_file(
    client, framework, period, reviewer, program_admin
):
    for state in [
        ReportStatus.DRAFT,
        ReportStatus.SUBMITTED,
        ReportStatus.IN_REVIEW,
        ReportStatus.CHANGES_REQUESTED,
        ReportStatus.VERIFIED,
    ]:
        organisation, officer = new_org(framework, f"Org {state}", f"org-{state}".replace("_", "-"))
        report = report_create(organisation=organisation, period=period, acting_user=officer)
        fill_and_walk(
            report, officer=officer, reviewer=reviewer, admin=program_admin, to=state, marker=f"LEAK-{state}"
        )
    organisation, officer = new_org(framework, "Published Org", "published-org")
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    fill_and_walk(
        report, officer=officer, reviewer=reviewer, admin=program_admin, to="published", marker="PUBLIC-OK"
    )
    # The restricted title and the reviewer comment of the published report carry the marker
    # too, so pick them out by their own prefixes.
    responses = download_all(client)
    responses["index"] = fetch(client, "/data/")
    responses["period"] = fetch(client, "/data/tiny/2026/")
    responses["feed"] = fetch(client, "/data/feed.atom")

    for name, response in responses.items():
        assert response.status_code == 200, name
        body = response.body.decode()
        assert "LEAK-" not in body, name
        assert "Restricted title" not in body, name
        assert "Reviewer comment" not in body, name
        assert "Private policy" not in body, name
    items = rows(responses["items.csv"])
    assert {row["narrative"] for row in items} == {"Narrative PUBLIC-OK"}
    assert {row["restricted_evidence_count"] for row in items} == {"1"}
    evidence = document_of(responses["data.json"])["organisations"][-1]["items"][0]["evidence"]
    assert evidence[0]["visibility"] == "restricted"
    assert set(evidence[0]) == {"visibility", "kind", "effective_date", "sha256", "revision"}
    assert len(evidence[0]["sha256"]) == 64


def test_a_cell_that_would_run_as_a_formula_is_escaped(client, framework, period, reviewer, program_admin):
    organisation, officer = new_org(framework, '=HYPERLINK("http://evil.test")', "formula")
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    fill_and_walk(
        report, officer=officer, reviewer=reviewer, admin=program_admin, to="published", narrative="@SUM(A1)"
    )

    matrix = rows(fetch(client, file_url("matrix.csv")))
    items = rows(fetch(client, file_url("items.csv")))
    document = document_of(fetch(client, file_url("data.json")))

    assert matrix[0]["organisation"] == '\'=HYPERLINK("http://evil.test")'
    assert items[0]["organisation"] == '\'=HYPERLINK("http://evil.test")'
    assert items[0]["narrative"] == "'@SUM(A1)"
    assert items[0]["public_evidence_count"] == "0"
    assert document["organisations"][0]["name"] == '=HYPERLINK("http://evil.test")'


def test_unknown_framework_period_or_file_is_404(client, published, framework):
    from tests.builders import period_for

    period_for(framework, label="2027", year=2027)  # exists, but nothing is published in it

    assert client.get(file_url("items.csv", framework="nope")).status_code == 404
    assert client.get(file_url("items.csv", period="1999")).status_code == 404
    assert client.get(file_url("items.csv", period="2027")).status_code == 404
    assert client.get("/data/tiny/2027/").status_code == 404
    assert client.get(file_url("secrets.csv")).status_code == 404


def test_post_is_refused_with_405(client, published):
    for url in [
        "/data/",
        "/data/tiny/2026/",
        file_url("items.csv"),
        "/data/feed.atom",
        "/data/schema/open-data.schema.json",
    ]:
        assert client.post(url).status_code == 405, url


def test_index_links_every_file_and_says_how_to_check_and_credit(client, published):
    response = client.get("/data/")

    page = response.content.decode()
    assert response.status_code == 200
    for name in FILES:
        assert f'href="/data/tiny/2026/{name}"' in page
    assert "sha256sum -c checksums.txt" in page
    assert "Pledgeproof open data, tiny 2026, CC BY 4.0" in page
    assert "https://creativecommons.org/licenses/by/4.0/" in page


def test_index_without_publications_says_nothing_is_published_yet(client, period):
    page = client.get("/data/").content.decode()

    assert "Nothing has been published yet" in page
    assert "/data/tiny/2026/" not in page


def test_licence_file_states_cc_by_and_the_attribution(client, published):
    text = fetch(client, file_url("LICENSE.txt")).body.decode()

    assert "CC BY 4.0" in text
    assert "Pledgeproof open data, tiny 2026, CC BY 4.0" in text


def test_building_and_serving_run_the_same_number_of_queries_for_more_organisations(
    client, framework, period, reviewer, program_admin, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.opendata.services import opendata_rebuild

    builds = []
    for n in range(4):
        organisation, officer = new_org(framework, f"Lab {n}", f"lab-{n}")
        report = report_create(organisation=organisation, period=period, acting_user=officer)
        fill_and_walk(report, officer=officer, reviewer=reviewer, admin=program_admin, to="published")
        # Built at 1, then again at 2 and 4 organisations: each time the same files change.
        with CaptureQueriesContext(connection) as queries:
            opendata_rebuild(period.pk)
        if n in (1, 3):
            builds.append(len(queries))

    with django_assert_max_num_queries(2):  # the period, then the stored file's row
        response = fetch(client, file_url("data.json"))
    with django_assert_max_num_queries(0):  # looked up once per publication
        again = fetch(client, file_url("data.json"))

    assert builds[0] == builds[1]
    assert len(document_of(response)["organisations"]) == 4
    assert again.body == response.body


def test_feed_lists_publications_newest_first_with_corrections(
    client, framework, period, reviewer, program_admin
):
    import xml.etree.ElementTree as ET

    for n, day in enumerate([datetime.date(2027, 4, 1), datetime.date(2027, 4, 5)]):
        organisation, officer = new_org(framework, f"Feed Lab {n}", f"feed-lab-{n}")
        report = report_create(organisation=organisation, period=period, acting_user=officer)
        with time_machine.travel(day):
            fill_and_walk(report, officer=officer, reviewer=reviewer, admin=program_admin, to="published")
    from reports.services import publication_correct

    first = Publication.objects.order_by("published_at").first()
    organisation = first.report.organisation
    organisation.name = "Feed Lab 0"
    organisation.slug = "feed-lab-zero"  # a housekeeping edit the correction republishes
    organisation.save(update_fields=["name", "slug"])
    with time_machine.travel(datetime.datetime(2027, 4, 9, 12, tzinfo=datetime.UTC)):
        publication_correct(report=first.report, acting_user=program_admin, reason="Metric source clarified.")

    response = client.get("/data/feed.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(response.content).findall("a:entry", ns)
    titles = [entry.find("a:title", ns).text for entry in entries]
    assert titles == [
        "Feed Lab 0: tiny 2026 report, correction (version 2): Metric source clarified.",
        "Feed Lab 1: tiny 2026 report published (version 1)",
        "Feed Lab 0: tiny 2026 report published (version 1)",
    ]
    assert entries[0].find("a:link", ns).get("href") == "http://testserver/data/tiny/2026/"
    assert len({entry.find("a:id", ns).text for entry in entries}) == 3
    assert entries[0].find("a:updated", ns).text.startswith("2027-04-09")
