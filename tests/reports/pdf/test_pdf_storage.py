"""Signed PDFs stored in a folder and in a bucket alike: rendered, downloaded, verified, or missing."""

import hashlib
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_read, artifact_request
from tests.reports.public_builders import published
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def pub(org, period, reviewer, program_admin):
    return published(org, period, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def public_pdf(pub, django_capture_on_commit_callbacks) -> ReportArtifact:
    with django_capture_on_commit_callbacks(execute=True):
        artifact = artifact_request(kind="public", acting_user=None, report=pub)
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    return artifact


def _pdfs(media) -> set[str]:
    return {name for name in media.names() if not name.startswith("evidence/")}


def _staff_download(client, artifact):
    return client.get(reverse("documents:download", kwargs={"artifact_id": artifact.pk}))


def _public_download(client, artifact):
    return client.get(reverse("verify:document", args=[artifact.document_id]))


def test_publishing_stores_the_signed_pdf_under_its_hash(public_pdf, media):
    assert _pdfs(media) == {public_pdf.storage_name}
    data = media.read(public_pdf.storage_name)
    assert public_pdf.storage_name == f"reports/{public_pdf.sha256[:2]}/{public_pdf.sha256}.pdf"
    assert hashlib.sha256(data).hexdigest() == public_pdf.sha256
    assert artifact_read(public_pdf) == data


def test_anyone_downloads_the_public_pdf_and_the_verify_page_calls_it_genuine(client, public_pdf):
    response = _public_download(client, public_pdf)
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(body)) == str(public_pdf.size_bytes)
    assert hashlib.sha256(body).hexdigest() == public_pdf.sha256
    verdict = client.post(
        reverse("verify:index"), {"pdf": SimpleUploadedFile("report.pdf", body, "application/pdf")}
    )
    assert verdict.context["outcome"].verdict == "current"
    assert "Genuine and current" in verdict.text


def test_staff_download_the_pdf_they_generated(client, public_pdf, program_admin):
    client.force_login(program_admin)

    response = _staff_download(client, public_pdf)
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(body))
    assert hashlib.sha256(body).hexdigest() == public_pdf.sha256


def test_a_pdf_missing_from_storage_is_a_clean_404_on_both_downloads(
    client, public_pdf, program_admin, caplog
):
    default_storage.delete(public_pdf.storage_name)

    assert _public_download(client, public_pdf).status_code == 404
    client.force_login(program_admin)
    assert _staff_download(client, public_pdf).status_code == 404
    assert f"The stored file of {public_pdf.document_id} is missing" in caplog.text


def test_a_failed_rendering_stores_nothing_and_a_retry_stores_the_pdf(
    client, pub, program_admin, media, django_capture_on_commit_callbacks
):
    client.force_login(program_admin)
    broken = mock.patch("reports.pdf.services.sign_pdf", side_effect=RuntimeError("signing unavailable"))
    with broken, django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:generate", kwargs={"report_id": pub.pk, "kind": "public"}))
    artifact = ReportArtifact.objects.get(kind="public")
    assert artifact.status == ArtifactStatus.FAILED
    assert _pdfs(media) == set()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:retry", kwargs={"artifact_id": artifact.pk}))

    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY
    assert _pdfs(media) == {artifact.storage_name}


def test_when_storage_is_down_the_rendering_fails_with_the_reason_and_stores_nothing(
    pub, program_admin, media, broken_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        artifact = artifact_request(kind="public", acting_user=program_admin, report=pub)

    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.FAILED
    assert artifact.failure_reason.startswith(("OSError: disk full", "EndpointConnectionError"))
    assert _pdfs(media) == set()
