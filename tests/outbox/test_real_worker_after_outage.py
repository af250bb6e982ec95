"""The whole outage with real processes: publishing while the broker is down, then the broker and a
real Celery worker (Redis, PostgreSQL) back, `dispatch_outbox`, and every side effect once.

Needs PostgreSQL (the worker must see the test database) and Redis: PLEDGEPROOF_TEST_REDIS_URL,
which .ci/run sets. Under CI=true a missing Redis fails the test instead of skipping it.
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from commitments.models import LedgerEntry, ReportStatus
from commitments.vocabulary import LedgerEvent
from config.celery import app as celery_app
from outbox.models import OutboxEntry, OutboxKind, OutboxStatus
from reports.models import ArtifactStatus, ReportArtifact
from tests.builders import advance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER_START_TIMEOUT = 60
DELIVERY_TIMEOUT = 120


def redis_url() -> str:
    url = os.environ.get("PLEDGEPROOF_TEST_REDIS_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set PLEDGEPROOF_TEST_REDIS_URL for the real-worker test")
        pytest.skip("set PLEDGEPROOF_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run the real worker")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture
def worker(on_postgres, tmp_path):
    """A real worker process on its own queue, and an app that publishes to it (not yet current)."""
    url = redis_url()
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    database_url = (
        f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{db['NAME']}"
    )
    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
        + ["--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        + ["--loglevel=INFO"],
        cwd=Path(settings.BASE_DIR),
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": settings.SECRET_KEY,
            "CELERY_BROKER_URL": url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PLEDGEPROOF_SIGNING_KEY": str(settings.PLEDGEPROOF_SIGNING_KEY),
            "PLEDGEPROOF_SIGNING_CERT": str(settings.PLEDGEPROOF_SIGNING_CERT),
            "PLEDGEPROOF_SIGNING_CHAIN": str(settings.PLEDGEPROOF_SIGNING_CHAIN),
            "PLEDGEPROOF_TSA_URL": "",
            "LOG_LEVEL": "INFO",
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    sender = Celery("pledgeproof-outbox-sender", set_as_current=False)
    sender.config_from_object("django.conf:settings", namespace="CELERY")
    sender.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield {"process": process, "log": log, "sender": sender}
    finally:
        sender.close()
        celery_app.set_current()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition, worker) -> None:
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while not condition():
        if worker["process"].poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"Nothing from the worker:\n{worker['log'].read_text()[-3000:]}")
        time.sleep(0.3)


def test_after_the_outage_the_worker_sends_the_email_and_renders_the_pdf_once(
    client, settings, worker, broker_down, officer, reviewer, program_admin, report
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

    worker["sender"].set_current()  # the broker is back, and a worker with it
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
    log = worker["log"].read_text()
    assert log.count(f"To: {officer.email}") == 1
    assert mail.outbox == []

    # Run again (a second operator, say): the email is not sent again, the PDF not rendered again.
    call_command("dispatch_outbox", "--retry-failed", stdout=io.StringIO())
    from commitments.tasks import email_outbox_send_task
    from reports.tasks import artifact_render_task

    email_outbox_send_task.delay(email.pk)
    artifact_render_task.delay(artifact.pk)
    wait_for(lambda: worker["log"].read_text().count("succeeded") >= 4, worker)
    assert worker["log"].read_text().count(f"To: {officer.email}") == 1
    assert LedgerEntry.objects.filter(event=LedgerEvent.ARTIFACT_RENDERED).count() == 1
    assert ReportArtifact.objects.filter(report=report).count() == 1
