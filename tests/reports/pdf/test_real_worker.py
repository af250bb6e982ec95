"""A PDF rendered by a real Celery worker process through the Redis broker, not in-process.

Needs PostgreSQL (the worker must see the test database) and Redis: PLEDGEPROOF_TEST_REDIS_URL,
which .ci/run sets. Under CI=true a missing Redis fails the test instead of skipping it.
"""

import hashlib
import uuid

import pytest

from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_read, artifact_request
from tests.real_services import sending_to, start_worker
from tests.reports.public_builders import published

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RENDER_TIMEOUT = 120


@pytest.fixture
def worker(on_postgres, flushable_ledger, tmp_path):
    queue = f"pdf-test-{uuid.uuid4().hex[:8]}"
    with sending_to(queue):
        worker = start_worker(queue, tmp_path / "worker.log", pool="solo")
        try:
            yield worker
        finally:
            worker.stop()


def artifact_status(artifact: ReportArtifact) -> str:
    return ReportArtifact.objects.values_list("status", flat=True).get(pk=artifact.pk)


def test_worker_process_renders_signs_and_stores_the_pdf(worker, org, period, reviewer, program_admin):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    # A committed transaction: the on-commit hook sends the task to Redis; the worker picks it up.
    artifact = artifact_request(kind="public", acting_user=program_admin, report=report)
    worker.wait_for(lambda: artifact_status(artifact) != ArtifactStatus.PENDING, timeout=RENDER_TIMEOUT)
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert artifact.pk and ReportArtifact.objects.filter(pk=artifact.pk, status="ready").exists()
    data = artifact_read(artifact)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == artifact.sha256
    # It really went through the worker process, not in-process.
    assert "reports.tasks.artifact_render_task[" in worker.log.read_text()
    assert artifact.ledger_sequence is not None
