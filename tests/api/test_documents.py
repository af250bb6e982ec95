"""Signed PDFs through the API: ask for one, watch it go from pending to ready, download exactly the
signed bytes; retry only what failed; hostile bodies refused; a retried request asks once."""

import hashlib

import pytest

from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_render

pytestmark = pytest.mark.django_db


def test_an_admin_asks_for_the_public_pdf_polls_it_and_downloads_the_signed_bytes(api_world):
    admin = api_world.client("admin")
    report = api_world.report("published")

    asked = admin.post(f"/api/v1/reports/{report.pk}/documents/request/", {"kind": "public"}, format="json")
    pending = admin.get(asked["Location"])
    artifact_render(asked.json()["id"])  # what the worker does once the request commits
    polled = admin.get(asked["Location"])
    pdf = admin.get(polled.json()["download"])

    assert asked.status_code == 202
    assert asked.json()["kind"] == "public" and asked.json()["document_id"].endswith("-public-v2")
    assert pending.json()["status"] == "pending" and pending.json()["download"] is None
    assert polled.json()["status"] == "ready"
    body = b"".join(pdf.streaming_content)
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(body).hexdigest() == polled.json()["sha256"]
    assert pdf["ETag"] == f'"{polled.json()["sha256"]}"'


def test_the_list_shows_newest_first_and_only_kinds_the_reader_may_see(api_world):
    report = api_world.report("published")

    as_officer = api_world.client("officer").get(f"/api/v1/reports/{report.pk}/documents/").json()
    as_reviewer = api_world.client("reviewer").get(f"/api/v1/reports/{report.pk}/documents/").json()

    assert [d["kind"] for d in as_officer["results"]] == ["public"]
    assert sorted(d["kind"] for d in as_reviewer["results"]) == ["audit", "public"]
    pending = next(d for d in as_reviewer["results"] if d["kind"] == "audit")
    assert pending["status"] == "pending" and pending["download"] is None


def test_a_pending_pdf_is_not_downloadable(api_world):
    audit = api_world.extra["documents_audit_pdf"]

    response = api_world.client("reviewer").get(f"/api/v1/documents/{audit.pk}/download/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("accept", ["application/pdf", "application/octet-stream", "*/*", "application/json"])
def test_the_pdf_is_sent_whatever_the_client_accepts_and_a_problem_stays_json(api_world, accept):
    ready = api_world.extra["documents_public_pdf"]
    pending = api_world.extra["documents_audit_pdf"]
    reviewer = api_world.client("reviewer")

    pdf = reviewer.get(f"/api/v1/documents/{ready.pk}/download/", HTTP_ACCEPT=accept)
    refused = reviewer.get(f"/api/v1/documents/{pending.pk}/download/", HTTP_ACCEPT=accept)

    assert pdf.status_code == 200, pdf.content[:200]
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    assert refused.status_code == 404
    assert refused["Content-Type"] == "application/problem+json"


def test_only_a_failed_pdf_is_retried(api_world):
    audit = api_world.extra["documents_audit_pdf"]
    ReportArtifact.objects.filter(pk=audit.pk).update(
        status=ArtifactStatus.FAILED, failure_reason="font missing"
    )

    retried = api_world.client("reviewer").post(f"/api/v1/documents/{audit.pk}/retry/")

    assert retried.status_code == 202
    assert ReportArtifact.objects.get(pk=audit.pk).status in (ArtifactStatus.PENDING, ArtifactStatus.READY)


def test_the_public_pdf_of_a_report_not_yet_published_is_refused_with_the_reason(api_world):
    report = api_world.report("verified")

    response = api_world.client("admin").post(
        f"/api/v1/reports/{report.pk}/documents/request/", {"kind": "public"}, format="json"
    )

    assert response.status_code == 409
    assert "publish" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "summary"},
        {"kind": "PUBLIC"},
        {"kind": ["public"]},
        {"kind": "public", "extra": 1},
        {"kind": None},
    ],
)
def test_a_bad_kind_is_a_400_and_nothing_is_asked_for(api_world, body):
    report = api_world.report("published")
    before = ReportArtifact.objects.count()

    response = api_world.client("admin").post(
        f"/api/v1/reports/{report.pk}/documents/request/", body, format="json"
    )

    assert response.status_code == 400
    assert ReportArtifact.objects.count() == before


def test_asking_twice_with_one_idempotency_key_asks_once(api_world):
    admin = api_world.client("admin")
    period = api_world.periods["published"]
    before = ReportArtifact.objects.filter(period=period, kind="summary").count()

    first = admin.post(f"/api/v1/periods/{period.pk}/documents/request/", HTTP_IDEMPOTENCY_KEY="summary-1")
    again = admin.post(f"/api/v1/periods/{period.pk}/documents/request/", HTTP_IDEMPOTENCY_KEY="summary-1")

    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert ReportArtifact.objects.filter(period=period, kind="summary").count() == before + 1
