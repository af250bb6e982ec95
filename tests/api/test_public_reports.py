"""GET /api/v1/published-reports/: published reports, with no token, exactly as their public pages
show them: each item's assurance level never blurred, restricted evidence as a hash only, nothing of
a report that is not published."""

import pytest

from commitments.models import ItemResponse, ReportStatus
from commitments.services.reports import report_create
from commitments.services.reviews import comment_add, company_response_add
from commitments.vocabulary import AssuranceLevel, FindingKind
from demo.walk import People, report_walk
from reports.public.report import public_report
from reports.services import publication_correct
from tests.audits.public_builders import audited
from tests.reports.public_builders import committed_org, fill, officer_of, verdicts_of

pytestmark = pytest.mark.django_db

LIST = "/api/v1/published-reports/"
SECRET_TITLE = "Board minutes on the classifier budget"
COMMENT = "Please attach the escalation runbook itself."
RESPONSE = "The runbook is in the restricted evidence."


def detail(report_id) -> str:
    return f"{LIST}{report_id}/"


def acme(world, *, verdicts=None):
    """Acme Labs' report of the published period, reviewed with a comment, answered by the
    company, published; restricted evidence on every item."""
    organisation = committed_org(world.framework, "Acme Labs", "acme-labs")
    officer = officer_of(organisation)
    reviewer = world.users["reviewer"]
    people = People(officer=officer, reviewer=reviewer, admin=world.users["admin"])
    report = report_create(organisation=organisation, period=world.periods["published"], acting_user=officer)

    def first_item(r):
        return r.items.select_related("node").order_by("node__position").first()

    return report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=people,
        fill=lambda r: fill(r, officer, restricted_title=SECRET_TITLE),
        review=lambda r: comment_add(item=first_item(r), acting_user=reviewer, body=COMMENT),
        verdict=verdicts_of(verdicts),
        verified=lambda r: company_response_add(item=first_item(r), acting_user=officer, body=RESPONSE),
        render_pdf=False,
        rebuild_open_data=False,
    )


def page_of(report):
    """What the public page shows, read by its own selector (the page itself is cached)."""
    return public_report(
        slug=report.organisation.slug,
        framework_key=report.period.framework.key,
        period_label=report.period.label,
    )


def items_of(body) -> list[dict]:
    return [item for group in body["groups"] for item in group["items"]]


# --- the list ------------------------------------------------------------------------------------


def test_anyone_lists_the_published_reports_and_nothing_unpublished(api_world):
    response = api_world.client("anonymous").get(LIST)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [api_world.report("published").pk]
    row = response.json()["results"][0]
    assert row["organisation"] == {"name": "Northwind Models", "slug": "northwind-models"}
    assert (row["framework"]["key"], row["period"]["label"], row["version"]) == ("tiny", "2022", 1)
    assert row["api_url"] == "http://testserver" + detail(row["id"])


def test_each_row_sums_up_the_report_as_its_public_page_does(api_world):
    report = acme(api_world, verdicts=["verified", "partially_verified", "verified"])

    rows = api_world.client("anonymous").get(LIST, {"organisation": "acme-labs"}).json()["results"]

    summary = page_of(report).summary
    assert rows[0]["summary"]["text"] == summary.text == "3/3 implemented · 2 verified"
    assert rows[0]["summary"]["level"]["value"] == AssuranceLevel.PARTLY_VERIFIED
    assert rows[0]["url"] == "http://testserver" + page_of(report).url


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"organisation": "northwind-models"}, {"northwind-models"}),
        ({"organisation": "acme-labs"}, {"acme-labs"}),
        ({"organisation": "bluefin-labs"}, set()),
        ({"framework": "tiny", "period": "2022"}, {"northwind-models", "acme-labs"}),
        ({"period": "2023"}, set()),  # Northwind's 2023 report is verified, not published
        ({"framework": "no-such-framework"}, set()),
        ({"organisation": "x" * 10_000}, set()),
    ],
)
def test_the_list_filters_by_organisation_framework_and_period(api_world, query, expected):
    acme(api_world)

    rows = api_world.client("officer").get(LIST, query).json()["results"]

    assert {row["organisation"]["slug"] for row in rows} == expected


def test_a_corrected_report_is_listed_once_at_its_current_version(api_world):
    report = api_world.report("published")
    correct(api_world, report)

    rows = api_world.client("anonymous").get(LIST).json()["results"]

    assert [(row["id"], row["version"]) for row in rows] == [(report.pk, 2)]


def test_the_list_reads_in_a_fixed_number_of_queries(api_world, django_assert_num_queries):
    client = api_world.client("anonymous")
    with django_assert_num_queries(2) as one:  # the publications, the audits of the page
        client.get(LIST)
    acme(api_world)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(LIST).json()["results"]) == 2


# --- one report ----------------------------------------------------------------------------------


def test_a_published_report_reads_as_its_public_page_item_by_item(api_world):
    report = acme(api_world, verdicts=["verified", "partially_verified", "verified"])

    body = api_world.client("anonymous").get(detail(report.pk)).json()

    page = page_of(report)
    rows = [row for group in page.groups for row in group.items]
    assert [(i["node_id"], i["status"], i["status_label"]) for i in items_of(body)] == [
        (row.node.node_id, row.status, row.status_label) for row in rows
    ]
    assert [i["assurance"]["value"] for i in items_of(body)] == [row.level for row in rows]
    assert [g["summary"]["text"] for g in body["groups"]] == [g.summary.text for g in page.groups]
    assert body["summary"]["text"] == page.summary.text
    assert (body["reference"], body["snapshot_sha256"]) == (
        page.data["reference"],
        page.publication.snapshot_sha256,
    )
    assert (body["version"], body["is_current"], body["pdf"]) == (1, True, None)


def test_self_reported_and_reviewer_verified_items_are_told_apart(api_world):
    report = acme(api_world, verdicts=["verified", "partially_verified", "needs_information"])

    items = items_of(api_world.client("anonymous").get(detail(report.pk)).json())

    assert [(i["verdict"], i["assurance"]["value"], i["assurance"]["icon"]) for i in items] == [
        ("verified", AssuranceLevel.REVIEWER_VERIFIED, AssuranceLevel.REVIEWER_VERIFIED.icon),
        ("partially_verified", AssuranceLevel.SELF_REPORTED, AssuranceLevel.SELF_REPORTED.icon),
        ("needs_information", AssuranceLevel.SELF_REPORTED, AssuranceLevel.SELF_REPORTED.icon),
    ]


def test_an_item_an_attested_audit_found_to_conform_is_independently_audited(api_world):
    report = acme(api_world)
    audited(
        report,
        auditor=api_world.users["auditor_inside"],
        admin=api_world.users["admin"],
        findings={
            "tiny.p1.m1": FindingKind.CONFORMS,
            "tiny.p1.m2": (FindingKind.NONCONFORMITY, "We fix it."),
        },
    )

    body = api_world.client("anonymous").get(detail(report.pk)).json()

    m1, m2, m3 = items_of(body)
    assert m1["assurance"]["value"] == AssuranceLevel.INDEPENDENTLY_AUDITED
    assert m1["assurance"]["icon"] == AssuranceLevel.INDEPENDENTLY_AUDITED.icon == "★"
    assert m1["audit"]["kind"] == FindingKind.CONFORMS and m1["audit"]["firm"] == "Harbourside Assurance LLP"
    assert m1["audit"]["attestation_url"].startswith("http://testserver/")
    # A nonconformity leaves the reviewer's level, and says so beside it.
    assert m2["assurance"]["value"] == AssuranceLevel.REVIEWER_VERIFIED
    assert (m2["audit"]["kind"], m2["audit"]["company_response"]) == (FindingKind.NONCONFORMITY, "We fix it.")
    assert m3["audit"] is None
    assert body["summary"]["audited"] == 1


def test_an_audit_not_yet_attested_shows_nothing(api_world):
    report = acme(api_world)
    audited(
        report,
        auditor=api_world.users["auditor_inside"],
        admin=api_world.users["admin"],
        findings={"tiny.p1.m1": FindingKind.CONFORMS},
        attest=False,
    )

    m1 = items_of(api_world.client("anonymous").get(detail(report.pk)).json())[0]

    assert (m1["assurance"]["value"], m1["audit"]) == (AssuranceLevel.REVIEWER_VERIFIED, None)


def test_restricted_evidence_is_a_hash_and_reviewer_comments_never_appear(api_world):
    report = acme(api_world)

    response = api_world.client("anonymous").get(detail(report.pk))

    text = response.content.decode()
    assert SECRET_TITLE not in text and COMMENT not in text
    m1 = items_of(response.json())[0]
    restricted = m1["restricted_evidence"]
    assert len(restricted) == 1 and set(restricted[0]) == {"kind", "size_bytes", "effective_date", "sha256"}
    assert len(restricted[0]["sha256"]) == 64
    assert [e["url"] for e in m1["public_evidence"]] == ["https://example.test/policy/tiny.p1.m1"]
    assert m1["company_responses"] == [RESPONSE]


def test_a_public_file_is_given_with_the_address_of_its_published_bytes(api_world):
    organisation = committed_org(api_world.framework, "Acme Labs", "acme-labs")
    officer = officer_of(organisation)
    people = People(officer=officer, reviewer=api_world.users["reviewer"], admin=api_world.users["admin"])
    report = report_create(
        organisation=organisation, period=api_world.periods["published"], acting_user=officer
    )
    report_walk(
        report,
        to=ReportStatus.PUBLISHED,
        by=people,
        fill=lambda r: fill(r, officer, public_file_title="Transparency report"),
        render_pdf=False,
        rebuild_open_data=False,
    )

    m1 = items_of(api_world.client("anonymous").get(detail(report.pk)).json())[0]

    (file,) = [e for e in m1["public_evidence"] if e["kind"] == "file"]
    downloaded = api_world.client("anonymous").get(file["download_url"])
    assert downloaded.status_code == 200
    assert downloaded["ETag"] == f'"{file["sha256"]}"'


@pytest.mark.parametrize("state", ["draft", "submitted", "in_review", "changes_requested", "verified"])
def test_a_report_that_is_not_published_is_as_unknown_as_an_id_never_issued(api_world, state):
    for role in ("anonymous", "officer", "admin"):
        client = api_world.client(role)

        hidden = client.get(detail(api_world.report(state).pk))
        absent = client.get(detail(987654))

        assert (hidden.status_code, hidden.json()["detail"]) == (404, absent.json()["detail"])
        assert hidden["Content-Type"] == "application/problem+json"


def correct(world, report, reason="The narrative of mitigation 2 overstated the rollout."):
    # As in the program pages' tests: no service changes a published report's content yet.
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(
        status="in_progress", narrative="Only half of it is in place."
    )
    return publication_correct(report=report, acting_user=world.users["admin"], reason=reason)


def test_a_superseded_version_stays_readable_by_its_number(api_world):
    report = api_world.report("published")
    correct(api_world, report)
    client = api_world.client("anonymous")

    current = client.get(detail(report.pk)).json()
    first = client.get(detail(report.pk), {"version": 1}).json()

    assert (current["version"], current["is_current"]) == (2, True)
    assert current["correction_reason"] == "The narrative of mitigation 2 overstated the rollout."
    assert (first["version"], first["is_current"]) == (1, False)
    assert items_of(first)[1]["status"] == "implemented"
    assert items_of(current)[1]["status"] == "in_progress"
    assert [(v["version"], v["is_current"]) for v in current["versions"]] == [(1, False), (2, True)]
    assert first["api_url"] == f"http://testserver{detail(report.pk)}?version=1"
    assert client.get(current["versions"][0]["api_url"]).json()["version"] == 1
    assert client.get(detail(report.pk), {"version": 3}).status_code == 404


def test_one_report_reads_in_a_fixed_number_of_queries(api_world, django_assert_num_queries):
    report = api_world.report("published")
    client = api_world.client("anonymous")
    # the publication, its versions, the framework's nodes, the attested findings, the signed PDF
    with django_assert_num_queries(5):
        client.get(detail(report.pk))


# --- hostile query parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"version": "abc"}, "version"),
        ({"version": "0"}, "version"),
        ({"version": "-1"}, "version"),
        ({"version": str(10**30)}, "version"),
        ({"version": "1.5"}, "version"),
        ({"versoin": "1"}, "versoin"),
        ({"cursor": "abc"}, "cursor"),
    ],
)
def test_a_bad_query_parameter_of_one_report_is_a_400_that_names_it(api_world, query, parameter):
    response = api_world.client("anonymous").get(detail(api_world.report("published").pk), query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"organization": "northwind-models"}, "organization"),
        ({"status": "draft"}, "status"),
        ({"organisation": "nul\x00byte"}, "organisation"),
    ],
)
def test_a_bad_query_parameter_of_the_list_is_a_400_that_names_it(api_world, query, parameter):
    response = api_world.client("anonymous").get(LIST, query)

    assert response.status_code == 400, response.content[:300]
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


@pytest.mark.parametrize("cursor", ["bz0tMQ==", "cD1ub3QtYS1kYXRl"])  # "o=-1", "p=not-a-date"
def test_a_made_up_cursor_is_a_400_not_a_server_error(api_world, cursor):
    response = api_world.client("anonymous").get(LIST, {"cursor": cursor})

    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == ["cursor"]


def test_the_next_page_follows_and_a_page_size_past_the_maximum_is_refused(api_world):
    acme(api_world)
    client = api_world.client("anonymous")

    first = client.get(LIST, {"page_size": 1}).json()
    second = client.get(first["next"]).json()
    everything = client.get(LIST, {"page_size": 200}).json()
    huge = client.get(LIST, {"page_size": str(10**30)})

    assert len(first["results"]) == len(second["results"]) == 1
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {r["id"] for r in everything["results"]}
    assert second["next"] is None
    assert huge.status_code == 400


def test_a_token_that_is_not_valid_is_refused_even_here(api_world):
    client = api_world.client("anonymous")
    client.credentials(HTTP_AUTHORIZATION="Bearer pp_not-a-real-token")

    response = client.get(LIST)

    assert response.status_code == 401
