"""Real services for the tests that need them: Redis, and a Celery worker process on Redis and the
test's PostgreSQL database.

Needs PLEDGEPROOF_TEST_REDIS_URL (which .ci/run sets); under CI=true a missing or unreachable Redis
fails the test instead of skipping it. The worker runs in a session of its own, so that the test can
kill it, or its whole process group, with SIGKILL, and that teardown leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

WORKER_START_TIMEOUT = 60


def redis_url() -> str:
    """The test Redis, reachable; or skip the test (fail it under CI=true)."""
    url = os.environ.get("PLEDGEPROOF_TEST_REDIS_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set PLEDGEPROOF_TEST_REDIS_URL for the tests on a real Redis")
        pytest.skip("set PLEDGEPROOF_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run the tests on Redis")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    return url


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_for(self, condition, *, timeout: float) -> None:
        """Poll `condition` until it holds; fail with the worker's log if the worker dies or time runs out."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Nothing from the worker:\n{self.log_tail()}")
            time.sleep(0.3)

    def kill_all(self) -> None:
        """SIGKILL the worker and every process it started (its session's process group)."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_all()
        # Children of a worker killed alone would otherwise outlive it.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_worker(queue: str, log: Path, *, pool: str = "prefork", extra_env: dict | None = None) -> Worker:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,  # the worker runs with DEBUG off, which needs a strong key
        "CELERY_BROKER_URL": redis_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PLEDGEPROOF_SIGNING_KEY": str(settings.PLEDGEPROOF_SIGNING_KEY),
        "PLEDGEPROOF_SIGNING_CERT": str(settings.PLEDGEPROOF_SIGNING_CERT),
        "PLEDGEPROOF_SIGNING_CHAIN": str(settings.PLEDGEPROOF_SIGNING_CHAIN),
        # The log the worker signs checkpoints of as it issues a PDF: the tests' key and name.
        "PLEDGEPROOF_LOG_KEY": str(settings.PLEDGEPROOF_LOG_KEY),
        "PLEDGEPROOF_LOG_ORIGIN": settings.PLEDGEPROOF_LOG_ORIGIN,
        "PLEDGEPROOF_TSA_URL": "",
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        f"--pool={pool}", "--concurrency=1", "-Q", queue, "--hostname", f"{queue}-{time.monotonic_ns()}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
    ]  # fmt: skip
    offset = log.stat().st_size if log.exists() else 0
    process = subprocess.Popen(
        command,
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = Worker(process=process, log=log)
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while b"ready." not in log.read_bytes()[offset:]:
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            pytest.fail(f"The Celery worker did not start:\n{worker.log_tail()}")
        time.sleep(0.2)
    return worker


def sender_app(queue: str, name: str = "pledgeproof-test-sender") -> Celery:
    """An app configured like the project's that publishes to `queue` on the test Redis; not current.

    The suite's app has run tasks in-process and may have cached a connection pool and routing for
    no broker; shared tasks resolve on the current app each time they are called, so a test makes
    this one current (`.set_current()`) when tasks should go to Redis.
    """
    sender = Celery(name, set_as_current=False)
    sender.config_from_object("django.conf:settings", namespace="CELERY")
    sender.conf.update(broker_url=redis_url(), task_always_eager=False, task_default_queue=queue)
    return sender


@contextmanager
def sending_to(queue: str):
    """Make tasks sent from the test go to `queue` on Redis, through an app of their own."""
    sender = sender_app(queue)
    sender.conf.broker_connection_retry = False
    sender.set_current()
    try:
        yield sender
    finally:
        sender.close()
        celery_app.set_current()
