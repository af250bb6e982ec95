import hashlib
from pathlib import Path

import pytest
from django.conf import settings

from reports.models import ArtifactStatus
from reports.pdf.services import artifact_request
from tests.reports.public_builders import published


@pytest.mark.django_db(transaction=False)
def test_public_pdf_is_rendered_signed_and_stored(
    org, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        artifact = artifact_request(kind="public", acting_user=program_admin, report=report)
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    data = (Path(settings.MEDIA_ROOT) / artifact.storage_name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == artifact.sha256
    assert data.startswith(b"%PDF-")
