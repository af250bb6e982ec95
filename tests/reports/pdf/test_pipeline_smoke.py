"""The PDF pipeline end to end, storing into a folder and into a bucket alike."""

import hashlib

import pytest

from reports.models import ArtifactStatus
from reports.pdf.services import artifact_request
from tests.reports.public_builders import published
from tests.storage_backends import on_both_backends  # noqa: F401

pytestmark = pytest.mark.usefixtures("media")


@pytest.mark.django_db(transaction=False)
def test_public_pdf_is_rendered_signed_and_stored(
    org, period, reviewer, program_admin, django_capture_on_commit_callbacks, media
):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        artifact = artifact_request(kind="public", acting_user=program_admin, report=report)
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    data = media.read(artifact.storage_name)
    assert hashlib.sha256(data).hexdigest() == artifact.sha256
    assert data.startswith(b"%PDF-")


def test_publishing_and_correcting_queue_the_public_pdf(
    org, period, reviewer, program_admin, settings, django_capture_on_commit_callbacks
):
    from commitments.models import ItemResponse
    from reports.models import ReportArtifact
    from reports.services import publication_correct

    settings.PDF_RENDER_ON_PUBLISH = True
    with django_capture_on_commit_callbacks(execute=True):
        report = published(org, period, reviewer=reviewer, admin=program_admin)
    first = ReportArtifact.objects.get(kind="public", report=report)
    assert first.status == ArtifactStatus.READY and first.publication.version == 1
    assert first.requested_by is None  # queued by the system, not a person
    # As in tests/reports/test_public_corrections.py: the ORM stands in for an approved content fix.
    ItemResponse.objects.filter(report=report).update(narrative="Corrected figure.")
    with django_capture_on_commit_callbacks(execute=True):
        publication_correct(report=report, acting_user=program_admin, reason="Wrong unit.")
    second = ReportArtifact.objects.get(kind="public", report=report, version=2)
    assert second.status == ArtifactStatus.READY and second.publication.version == 2
    assert second.sha256 != first.sha256
