"""An email handed to a real broker (Redis) waits for a worker; the worker sends it once.

Needs Redis at PLEDGEPROOF_TEST_REDIS_URL (which .ci/run sets; under CI=true a missing Redis
fails the test). No worker consumes the test's queue: "the worker" is the task run here, twice.
"""

import io
import uuid

import pytest
import redis
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.services import invitation_create
from commitments.tasks import email_outbox_send_task
from config.celery import app as celery_app
from outbox.models import OutboxEntry, OutboxStatus
from outbox.services import HANDOFF_WAIT
from tests.real_services import redis_url, sender_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch):
    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2)
    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr("outbox.services._broker_paused", {})
    app = sender_app(queue, name="pledgeproof-outbox-handoff")
    app.set_current()
    try:
        yield {"client": client, "queue": queue}
    finally:
        app.close()
        celery_app.set_current()
        client.delete(queue)


# Marked postgres so that it runs in CI's pass with services (PostgreSQL and Redis), not the SQLite one.
@pytest.mark.postgres
def test_a_published_email_waits_for_the_worker_which_sends_it_once(
    broker, program_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(acting_user=program_admin, email="new@example.test", platform_role="reviewer")

    entry = OutboxEntry.objects.get()
    assert (entry.status, entry.attempts, entry.last_error) == (OutboxStatus.PENDING, 1, "")
    assert broker["client"].llen(broker["queue"]) == 1  # the task is in the broker
    assert timezone.now() < entry.next_attempt_at <= timezone.now() + HANDOFF_WAIT
    assert mail.outbox == []
    out = io.StringIO()
    call_command("dispatch_outbox", "--due-only", stdout=out)
    assert "Dispatched 0" in out.getvalue() and "1 other pending row(s)" in out.getvalue()

    # The worker runs the task; a second copy (the wait ran out, published again) sends nothing.
    celery_app.set_current()
    assert email_outbox_send_task.delay(entry.pk).get() is True
    assert email_outbox_send_task.delay(entry.pk).get() is False

    assert [message.to for message in mail.outbox] == [["new@example.test"]]
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.DONE
