"""The periods and reports endpoints: periods for anyone; reports listed as the gate scopes them,
read with their items, opened as drafts, submitted and resubmitted (refusals listing every item's
problem by pointer), with Idempotency-Key retries acting once."""

import json

import pytest

from api.models import TokenScope
from commitments.models import LedgerEntry, ProgressReport, ReportStatus
from commitments.services.reports import item_update
from tests.api.reports_builders import api_client, problem_pointers
from tests.audits.builders import engagement_for
from tests.builders import advance, answer_all, period_for
from tests.factories import UserFactory
from tests.reports.public_builders import published

pytestmark = pytest.mark.django_db


def submit_url(report) -> str:
    return f"/api/v1/reports/{report.pk}/submit/"


# --- periods ------------------------------------------------------------------------------------


def test_periods_are_listed_for_anyone_latest_first_and_filtered_by_framework(framework):
    older = period_for(framework, label="2025", year=2025)
    newer = period_for(framework, label="2026", year=2026)

    response = api_client().get("/api/v1/periods/")

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [newer.pk, older.pk]
    assert response.json()["results"][0]["framework"] == {"id": framework.pk, "key": "tiny", "version": "1.0"}
    assert api_client().get("/api/v1/periods/", {"framework_key": "other"}).json()["results"] == []
    assert api_client().get("/api/v1/periods/", {"framework": "x"}).status_code == 400
    assert api_client().get("/api/v1/periods/", {"year": "2026"}).status_code == 400


def test_a_period_is_read_by_id_and_an_unknown_one_is_404(period):
    assert api_client().get(f"/api/v1/periods/{period.pk}/").json()["label"] == "2026"
    assert api_client().get("/api/v1/periods/987654/").status_code == 404
    assert api_client().get(f"/api/v1/periods/{10**30}/").status_code == 404


# --- listing and reading reports ----------------------------------------------------------------


@pytest.fixture
def two_reports(report, org, other_org, framework, period, officer, other_officer):
    from commitments.services.reports import report_create

    return report, report_create(organisation=other_org, period=period, acting_user=other_officer)


def _listed(user, query=None):
    response = api_client(user).get("/api/v1/reports/", query or {})
    assert response.status_code == 200, response.content
    return [report["id"] for report in response.json()["results"]]


def test_members_list_their_organisations_reports_and_staff_every_one(
    two_reports, officer, viewer, other_officer, reviewer, program_admin, auditor
):
    northwind, bluefin = two_reports

    assert _listed(officer) == _listed(viewer) == [northwind.pk]
    assert _listed(other_officer) == [bluefin.pk]
    assert _listed(reviewer) == _listed(program_admin) == [northwind.pk, bluefin.pk]
    assert _listed(auditor) == []


def test_an_auditor_lists_the_reports_of_their_open_engagement(
    two_reports, auditor, program_admin, org, period
):
    northwind, _ = two_reports
    engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)

    assert _listed(auditor) == [northwind.pk]


def test_reports_are_filtered_by_organisation_period_and_status(two_reports, reviewer, period, officer):
    northwind, bluefin = two_reports
    advance(northwind, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)

    assert _listed(reviewer, {"organisation": "bluefin-labs"}) == [bluefin.pk]
    assert _listed(reviewer, {"period": period.pk, "status": "submitted"}) == [northwind.pk]
    assert _listed(reviewer, {"status": "draft"}) == [bluefin.pk]
    assert _listed(reviewer, {"organisation": "x" * 3000}) == []
    refused = api_client(reviewer).get("/api/v1/reports/", {"status": "lost"})
    assert refused.status_code == 400
    assert "status" in problem_pointers(refused)


def test_the_list_takes_a_fixed_number_of_queries(
    two_reports, reviewer, framework, org, officer, django_assert_max_num_queries
):
    from commitments.services.reports import report_create

    for year in range(2010, 2020):
        report_create(
            organisation=org, period=period_for(framework, label=str(year), year=year), acting_user=officer
        )
    client = api_client(reviewer)
    client.get("/api/v1/periods/")  # the token's first use is noted once

    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/reports/").json()["results"]) == 12


def test_a_report_reads_with_its_items_in_brief_and_what_the_reader_may_do(
    report, officer, contributor, viewer
):
    body = api_client(contributor).get(f"/api/v1/reports/{report.pk}/").json()

    assert body["reference"] == f"PP-2026-{report.pk:06d}"
    assert body["organisation"] == {"slug": "northwind-models", "name": "Northwind Models"}
    assert (body["status"], body["items_total"], body["items_answered"]) == ("draft", 3, 0)
    assert [item["node_id"] for item in body["items"]] == ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]
    assert (body["editable"], body["can_submit"]) == (True, False)
    as_officer = api_client(officer).get(f"/api/v1/reports/{report.pk}/").json()
    assert (as_officer["editable"], as_officer["can_submit"]) == (True, True)
    as_viewer = api_client(viewer).get(f"/api/v1/reports/{report.pk}/").json()
    assert (as_viewer["editable"], as_viewer["can_submit"]) == (False, False)


# --- opening a draft ----------------------------------------------------------------------------


def test_an_officer_opens_a_draft_and_gets_its_location(org, period, officer):
    response = api_client(officer).post(
        "/api/v1/reports/", {"organisation": org.slug, "period": period.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    report = ProgressReport.objects.get(organisation=org, period=period)
    assert response["Location"] == f"/api/v1/reports/{report.pk}/"
    assert (response.json()["id"], response.json()["status"], response.json()["items_total"]) == (
        report.pk,
        "draft",
        3,
    )
    assert LedgerEntry.objects.filter(report_id=report.pk, event="report.created").count() == 1


def test_a_second_draft_for_the_same_period_is_refused(report, org, period, officer):
    response = api_client(officer).post(
        "/api/v1/reports/", {"organisation": org.slug, "period": period.pk}, format="json"
    )

    assert response.status_code == 400
    assert "already has a report" in response.json()["detail"]
    assert ProgressReport.objects.filter(organisation=org).count() == 1


def test_a_draft_can_carry_forward_the_last_published_answers(
    framework, org, officer, reviewer, program_admin
):
    last_year = period_for(framework, label="2025", year=2025)
    published(org, last_year, reviewer=reviewer, admin=program_admin)
    this_year = period_for(framework, label="2026", year=2026)

    response = api_client(officer).post(
        "/api/v1/reports/",
        {"organisation": org.slug, "period": this_year.pk, "carry_forward": True},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert all(item["carried_forward"] for item in response.json()["items"])


def test_a_retried_open_with_the_same_idempotency_key_opens_one_draft(org, period, officer):
    client = api_client(officer)
    body = {"organisation": org.slug, "period": period.pk}

    first = client.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-2026")
    again = client.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="open-2026")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert ProgressReport.objects.filter(organisation=org).count() == 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"organisation": "northwind-models"}, "#/period"),
        ({"organisation": "northwind-models", "period": "2026"}, None),
        ({"organisation": "northwind-models", "period": "x"}, "#/period"),
        ({"organisation": "northwind-models", "period": 10**30}, "#/period"),
        ({"organisation": "northwind-models", "period": -1}, "#/period"),
        ({"organisation": "not a slug!", "period": 1}, "#/organisation"),
        ({"organisation": "n" * 81, "period": 1}, "#/organisation"),
        ({"organisation": ["northwind-models"], "period": 1}, "#/organisation"),
        ({"organisation": "northwind-models", "period": 1, "carry_forward": "perhaps"}, "#/carry_forward"),
        ({"organisation": "northwind-models", "period": 1, "owner": "me"}, "#/owner"),
        ({"organisation": {"slug": {"deeper": []}}, "period": 1}, "#/organisation"),
    ],
)
def test_hostile_bodies_open_nothing(org, period, officer, body, pointer):
    if body.get("period") == "2026":
        body = {**body, "period": str(period.pk)}  # digits as text are a number, as JSON clients send them

    response = api_client(officer).post("/api/v1/reports/", body, format="json")

    if pointer is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert pointer in problem_pointers(response)
    assert not ProgressReport.objects.exists()


def test_an_unknown_organisation_or_period_is_as_unknown_as_another_organisations(
    org, other_org, period, other_officer
):
    client = api_client(other_officer)

    theirs = client.post("/api/v1/reports/", {"organisation": org.slug, "period": period.pk}, format="json")
    nobodys = client.post(
        "/api/v1/reports/", {"organisation": "no-such-lab", "period": period.pk}, format="json"
    )
    no_period = client.post(
        "/api/v1/reports/", {"organisation": other_org.slug, "period": 987654}, format="json"
    )

    assert theirs.status_code == nobodys.status_code == no_period.status_code == 404
    assert theirs.json()["detail"] == nobodys.json()["detail"] == no_period.json()["detail"]
    assert not ProgressReport.objects.exists()


def test_a_read_only_token_cannot_open_a_draft(org, period, officer):
    response = api_client(officer, scope=TokenScope.READ).post(
        "/api/v1/reports/", {"organisation": org.slug, "period": period.pk}, format="json"
    )

    assert response.status_code == 403
    assert not ProgressReport.objects.exists()


# --- submitting -----------------------------------------------------------------------------------


def test_an_answered_draft_is_submitted_and_ledgered(report, officer):
    answer_all(report, officer)

    response = api_client(officer).post(submit_url(report))

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["revision"]) == ("submitted", 1)
    entry = LedgerEntry.objects.get(report_id=report.pk, event="report.submitted")
    assert json.loads(entry.payload)["data"]["to"] == "submitted"


def test_a_refused_submission_lists_every_items_problems_by_pointer(report, officer):
    first = report.items.select_related("node").get(node__node_id="tiny.p1.m1")
    item_update(item=first, acting_user=officer, expected_version=1, status="implemented")

    response = api_client(officer).post(submit_url(report))

    assert response.status_code == 400
    assert "3 item(s) need attention" in response.json()["detail"]
    errors = response.json()["errors"]
    assert {error["pointer"] for error in errors} == {
        "#/items/tiny.p1.m1",
        "#/items/tiny.p1.m2",
        "#/items/tiny.p1.m3",
    }
    first_problems = [e["detail"] for e in errors if e["pointer"] == "#/items/tiny.p1.m1"]
    assert "Describe what was done (narrative)." in first_problems
    assert "Give a value for “Reports made”." in first_problems
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_a_report_sent_back_is_resubmitted_through_the_same_operation(report, officer, reviewer):
    sent_back = advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)

    response = api_client(officer).post(submit_url(sent_back))

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["revision"]) == ("submitted", 2)


def test_submitting_a_report_already_submitted_is_a_conflict(report, officer, reviewer):
    submitted = advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)

    response = api_client(officer).post(submit_url(submitted))

    assert response.status_code == 409
    assert "Cannot submit a report that is submitted" in response.json()["detail"]


def test_a_retried_submission_with_the_same_key_submits_once(report, officer):
    answer_all(report, officer)
    client = api_client(officer)

    first = client.post(submit_url(report), HTTP_IDEMPOTENCY_KEY="submit-2026")
    again = client.post(submit_url(report), HTTP_IDEMPOTENCY_KEY="submit-2026")
    other_key = client.post(submit_url(report), HTTP_IDEMPOTENCY_KEY="submit-2026-b")

    assert (first.status_code, again.status_code, other_key.status_code) == (200, 200, 409)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert LedgerEntry.objects.filter(report_id=report.pk, event="report.submitted").count() == 1


def test_a_submission_with_a_body_it_does_not_know_is_refused(report, officer):
    answer_all(report, officer)

    response = api_client(officer).post(submit_url(report), {"force": True}, format="json")

    assert response.status_code == 400
    assert "#/force" in problem_pointers(response)
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_contributors_and_reviewers_may_not_submit(report, officer, contributor, reviewer):
    answer_all(report, officer)

    for person in (contributor, reviewer):
        response = api_client(person).post(submit_url(report))
        assert response.status_code == 403
        assert (
            response.json()["detail"] == "Only the organisation's compliance officers can submit its report."
        )
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_an_auditor_outside_any_engagement_cannot_tell_a_report_exists(report):
    auditor = UserFactory(platform_role="auditor")
    client = api_client(auditor)

    real = client.get(f"/api/v1/reports/{report.pk}/")
    absent = client.get("/api/v1/reports/987654/")

    assert real.status_code == absent.status_code == 404
    assert real.json()["detail"] == absent.json()["detail"]
