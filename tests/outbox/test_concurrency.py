"""Two processes at the same rows, on PostgreSQL: each side effect is acted on once."""

import threading

import pytest
from django.core import mail
from django.db import connection

from accounts.services import invitation_create
from commitments.tasks import email_outbox_send_task
from config.celery import app as celery_app
from outbox.models import OutboxEntry, OutboxStatus
from outbox.services import entries_dispatch
from tests.outbox import slow_mail
from tests.outbox.conftest import broker_back

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INVITATIONS = 30


def in_threads(count: int, work) -> list:
    """Run `work()` in `count` threads started together, each with its own database connection."""
    start = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        celery_app.set_current()  # in-process tasks in this thread too
        try:
            start.wait()
            results[index] = work()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.fixture
def pending_invitations(on_postgres, program_admin, broker_down):
    """Invitations committed while the broker was down: their emails wait in the outbox."""
    for n in range(INVITATIONS):
        email = f"person{n}@example.test"
        invitation_create(acting_user=program_admin, email=email, platform_role="reviewer")
    assert OutboxEntry.objects.pending().count() == INVITATIONS
    broker_back()


def test_two_dispatchers_at_once_send_each_email_once(pending_invitations):
    first, second = in_threads(2, lambda: [entry.pk for entry in entries_dispatch(due_only=False)])

    assert not set(first) & set(second)
    assert len(first) + len(second) == INVITATIONS
    assert sorted(to for message in mail.outbox for to in message.to) == sorted(
        f"person{n}@example.test" for n in range(INVITATIONS)
    )
    assert OutboxEntry.objects.filter(status=OutboxStatus.DONE).count() == INVITATIONS


def test_two_copies_of_the_email_task_send_it_once(on_postgres, program_admin, broker_down, settings):
    invitation_create(acting_user=program_admin, email="new@example.test", platform_role="reviewer")
    entry = OutboxEntry.objects.get()
    broker_back()
    settings.EMAIL_BACKEND = "tests.outbox.slow_mail.SlowEmailBackend"
    slow_mail.sending.clear()

    def send_copy(index: int):
        if index:  # the second copy arrives while the first is talking to the mail server
            slow_mail.sending.wait(timeout=30)
        return email_outbox_send_task(entry.pk)

    counter = iter(range(2))
    outcomes = in_threads(2, lambda: send_copy(next(counter)))

    assert sorted(outcomes) == [False, True]
    assert [message.to for message in mail.outbox] == [["new@example.test"]]
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.DONE
