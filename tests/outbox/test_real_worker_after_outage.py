"""The whole outage with real processes: publishing while the broker is down, then the broker and a
real Celery worker (Redis, PostgreSQL) back, `dispatch_outbox`, and every side effect once.

Needs PostgreSQL (the worker must see the test database) and Redis: PLEDGEPROOF_TEST_REDIS_URL,
which .ci/run sets. Under CI=true a missing Redis fails the test instead of skipping it.
"""

import io
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from commitments.models import LedgerEntry, ReportStatus
from commitments.vocabulary import LedgerEvent
from config.celery import app as celery_app
from outbox.models import OutboxEntry, OutboxKind, OutboxStatus
from reports.models import ArtifactStatus, ReportArtifact
from tests.builders import advance
from tests.real_services import sender_app, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELIVERY_TIMEOUT = 120


@pytest.fixture
def queue():
    return f"outbox-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sender(queue):
    """An app that publishes to the worker's queue (not yet current)."""
    sender = sender_app(queue, name="pledgeproof-outbox-sender")
    try:
        yield sender
    finally:
        sender.close()
        celery_app.set_current()


@pytest.fixture
def worker(on_postgres, queue, tmp_path):
    """A real worker process on its own queue."""
    worker = start_worker(queue, tmp_path / "worker.log", pool="solo", extra_env={"LOG_LEVEL": "INFO"})
    yield worker
    worker.stop()


def wait_for(condition, worker) -> None:
    worker.wait_for(condition, timeout=DELIVERY_TIMEOUT)


def test_after_the_outage_the_worker_sends_the_email_and_renders_the_pdf_once(
    client, settings, sender, worker, broker_down, officer, reviewer, program_admin, report
):
    settings.PDF_RENDER_ON_PUBLISH = True
    celery_app.set_current()
    report = advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    mail.outbox.clear()
    broker_down.set_current()
    client.force_login(program_admin)

    response = client.post(reverse("reports:report_publish", args=[report.pk]))  # commits for real

    assert response.status_code == 302
    email = OutboxEntry.objects.get(kind=OutboxKind.EMAIL, key=f"report_published:{report.pk}:r1")
    pdf = OutboxEntry.objects.get(kind=OutboxKind.PDF_RENDER)
    assert email.status == pdf.status == OutboxStatus.PENDING

    sender.set_current()  # the broker is back, and a worker with it
    out = io.StringIO()
    call_command("dispatch_outbox", stdout=out)
    assert f"#{email.pk} email report_published:{report.pk}:r1: queued for a worker" in out.getvalue()
    assert f"#{pdf.pk} pdf_render" in out.getvalue()

    artifact = ReportArtifact.objects.get(report=report)
    wait_for(lambda: ReportArtifact.objects.get(pk=artifact.pk).status != ArtifactStatus.PENDING, worker)
    wait_for(lambda: OutboxEntry.objects.get(pk=email.pk).status == OutboxStatus.DONE, worker)

    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert LedgerEntry.objects.filter(event=LedgerEvent.ARTIFACT_RENDERED).count() == 1
    # The worker's email backend is the console: the email is in its log, once.
    log = worker.log.read_text()
    assert log.count(f"To: {officer.email}") == 1
    assert mail.outbox == []

    # Run again (a second operator, say): the email is not sent again, the PDF not rendered again.
    call_command("dispatch_outbox", "--retry-failed", stdout=io.StringIO())
    from commitments.tasks import email_outbox_send_task
    from reports.tasks import artifact_render_task

    email_outbox_send_task.delay(email.pk)
    artifact_render_task.delay(artifact.pk)
    wait_for(lambda: worker.log.read_text().count("succeeded") >= 4, worker)
    assert worker.log.read_text().count(f"To: {officer.email}") == 1
    assert LedgerEntry.objects.filter(event=LedgerEvent.ARTIFACT_RENDERED).count() == 1
    assert ReportArtifact.objects.filter(report=report).count() == 1
