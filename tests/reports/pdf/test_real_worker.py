"""A PDF rendered by a real Celery worker process through the Redis broker, not in-process.

Needs PostgreSQL (the worker must see the test database) and Redis: PLEDGEPROOF_TEST_REDIS_URL,
which .ci/run sets. Under CI=true a missing Redis fails the test instead of skipping it.
"""

import hashlib
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
from django.db import connection

from config.celery import app as celery_app
from reports.models import ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_read, artifact_request
from tests.reports.public_builders import published

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER_START_TIMEOUT = 60
RENDER_TIMEOUT = 120


def _redis_url() -> str:
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


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(on_postgres, flushable_ledger, tmp_path):
    redis_url = _redis_url()
    queue = f"pdf-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,  # the worker runs with DEBUG off, which needs a strong key
        "CELERY_BROKER_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PLEDGEPROOF_SIGNING_KEY": str(settings.PLEDGEPROOF_SIGNING_KEY),
        "PLEDGEPROOF_SIGNING_CERT": str(settings.PLEDGEPROOF_SIGNING_CERT),
        "PLEDGEPROOF_SIGNING_CHAIN": str(settings.PLEDGEPROOF_SIGNING_CHAIN),
        "PLEDGEPROOF_TSA_URL": "",
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    # A fresh app made current for this test: the suite's app has run tasks in-process and may have
    # cached a connection pool and routing for no broker. Shared tasks (reports.tasks) resolve on
    # the current app each time they are called, so artifact_request sends through this one.
    sender = Celery("pledgeproof-test-sender", set_as_current=False)
    sender.conf.update(
        broker_url=redis_url, task_always_eager=False, task_default_queue=queue, broker_connection_retry=False
    )
    sender.set_current()
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield {"process": process, "log": log, "queue": queue}
    finally:
        sender.close()
        celery_app.set_current()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_worker_process_renders_signs_and_stores_the_pdf(worker, org, period, reviewer, program_admin):
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    # A committed transaction: the on-commit hook sends the task to Redis; the worker picks it up.
    artifact = artifact_request(kind="public", acting_user=program_admin, report=report)
    deadline = time.monotonic() + RENDER_TIMEOUT
    while True:
        artifact.refresh_from_db()
        if artifact.status != ArtifactStatus.PENDING:
            break
        if worker["process"].poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"No result from the worker:\n{worker['log'].read_text()[-3000:]}")
        time.sleep(0.3)
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert artifact.pk and ReportArtifact.objects.filter(pk=artifact.pk, status="ready").exists()
    data = artifact_read(artifact)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == artifact.sha256
    # It really went through the worker process, not in-process.
    assert "reports.tasks.artifact_render_task[" in worker["log"].read_text()
    assert artifact.ledger_sequence is not None
