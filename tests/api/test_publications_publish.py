"""POST /api/v1/reports/{id}/publish/: a program admin publishes a verified report, through the same
service as the program overview's button; nobody else can, and a retried request publishes once."""

import pytest

from api.models import TokenScope
from api.services import api_token_create
from commitments.models import LedgerEntry, ProgressReport, ReportStatus
from commitments.vocabulary import LedgerEvent
from reports.models import Publication
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def url(report) -> str:
    return f"/api/v1/reports/{report.pk}/publish/"


def nothing_published(report) -> bool:
    return (
        not Publication.objects.filter(report=report).exists()
        and ProgressReport.objects.get(pk=report.pk).status == ReportStatus.VERIFIED
    )


def test_a_program_admin_publishes_a_verified_report(api_world):
    report = api_world.report("verified")
    admin = api_world.users["admin"]

    response = api_world.client("admin").post(url(report))

    assert response.status_code == 201, response.content[:300]
    body = response.json()
    publication = Publication.objects.get(report=report)
    assert (body["id"], body["version"], body["is_current"], body["supersedes_version"]) == (
        publication.pk,
        1,
        True,
        None,
    )
    assert (body["published_by"], body["snapshot_sha256"]) == (admin.email, publication.snapshot_sha256)
    assert (
        response["Location"] == body["api_url"] == f"http://testserver/api/v1/published-reports/{report.pk}/"
    )
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.PUBLISHED
    entry = LedgerEntry.objects.filter(report_id=report.pk).order_by("-sequence").first()
    assert (entry.event, entry.actor_id) == (LedgerEvent.PUBLICATION_CREATED, admin.pk)


def test_the_published_report_is_then_public(api_world):
    report = api_world.report("verified")
    location = api_world.client("admin").post(url(report))["Location"]

    response = api_world.client("anonymous").get(location)

    assert response.status_code == 200
    assert response.json()["id"] == report.pk


@pytest.mark.parametrize("body", [None, {}])
def test_no_body_or_an_empty_object_is_the_same_request(api_world, body):
    response = api_world.client("admin").post(url(api_world.report("verified")), body, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("state", ["draft", "submitted", "in_review", "changes_requested", "published"])
def test_only_a_verified_report_can_be_published(api_world, state):
    report = api_world.report(state)
    before = Publication.objects.filter(report=report).count()

    response = api_world.client("admin").post(url(report))

    assert response.status_code == 409
    assert response.json()["type"].endswith("#conflict")
    assert Publication.objects.filter(report=report).count() == before
    assert ProgressReport.objects.get(pk=report.pk).status == state


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("other_officer", 404),
        ("auditor_outside", 404),
        ("officer", 403),
        ("viewer", 403),
        ("own_reviewer", 403),
        ("reviewer", 403),
        ("auditor_inside", 403),
    ],
)
def test_nobody_but_a_program_admin_publishes_and_nothing_changes(api_world, role, status):
    report = api_world.report("verified")

    response = api_world.client(role).post(url(report))

    assert response.status_code == status
    assert nothing_published(report)


def test_a_program_admin_who_belongs_to_the_organisation_cannot_publish_its_report(api_world):
    report = api_world.report("verified")
    MembershipFactory(user=api_world.users["admin"], organisation=api_world.organisation, role="viewer")

    response = api_world.client("admin").post(url(report))

    assert response.status_code == 403
    assert "belong" in response.json()["detail"]
    assert nothing_published(report)


def test_a_read_only_token_cannot_publish(api_world):
    token = api_token_create(user=api_world.users["admin"], name="read", scope=TokenScope.READ).secret
    client = api_world.client("anonymous")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post(url(api_world.report("verified")))

    assert response.status_code == 403
    assert nothing_published(api_world.report("verified"))


# --- a retried request -------------------------------------------------------------------------


def test_a_retry_with_the_same_key_gets_the_first_answer_and_publishes_once(api_world):
    report = api_world.report("verified")
    client = api_world.client("admin")
    headers = {"HTTP_IDEMPOTENCY_KEY": "publish-northwind-2023"}

    first = client.post(url(report), **headers)
    again = client.post(url(report), **headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Publication.objects.filter(report=report).count() == 1
    assert LedgerEntry.objects.filter(report_id=report.pk, event=LedgerEvent.PUBLICATION_CREATED).count() == 1


def test_a_retry_without_a_key_is_told_it_is_published_already(api_world):
    report = api_world.report("verified")
    client = api_world.client("admin")

    client.post(url(report))
    again = client.post(url(report))

    assert again.status_code == 409
    assert Publication.objects.filter(report=report).count() == 1


def test_the_same_key_for_another_report_is_refused(api_world):
    client = api_world.client("admin")
    headers = {"HTTP_IDEMPOTENCY_KEY": "one-key"}
    client.post(url(api_world.report("verified")), **headers)

    response = client.post(url(api_world.report("published")), **headers)

    assert response.status_code == 422


# --- hostile bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"force": true}', "application/json"),
        ("[]", "application/json"),
        ('"publish"', "application/json"),
        ("{", "application/json"),
        ('{"a": 1, "a": 2}', "application/json"),
        ("[" * 100 + "]" * 100, "application/json"),
        ("reason=x", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_empty_or_an_empty_object_is_refused_and_nothing_published(
    api_world, body, content_type
):
    report = api_world.report("verified")

    response = api_world.client("admin").generic("POST", url(report), body, content_type=content_type)

    assert response.status_code in (400, 415), response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert nothing_published(report)


def test_a_huge_body_is_refused_before_it_is_read(api_world, settings):
    report = api_world.report("verified")
    body = '{"x": "' + "a" * (settings.API_MAX_JSON_BYTES + 10) + '"}'

    response = api_world.client("admin").generic("POST", url(report), body, content_type="application/json")

    assert response.status_code == 413
    assert nothing_published(report)


def test_someone_who_may_not_see_the_report_gets_404_whatever_the_body(api_world):
    report = api_world.report("verified")

    response = api_world.client("other_officer").post(url(report), {"force": True}, format="json")

    assert response.status_code == 404
    assert nothing_published(report)
