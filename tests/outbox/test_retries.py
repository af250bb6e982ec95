"""Retries: backoff that grows, a row that fails for good, and what the operator's command shows.

The failure is real: SMTP at a port where nothing listens.
"""

import datetime
import io

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.services import invitation_create
from outbox.models import OutboxEntry, OutboxStatus
from outbox.services import MAX_ATTEMPTS
from outbox.tasks import outbox_dispatch_due_task

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    settings.EMAIL_USE_TLS = False


def smtp_back(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def invitation_email(program_admin, clock, smtp_down, django_capture_on_commit_callbacks):
    """An invitation whose email could not be sent after commit (the first attempt)."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(acting_user=program_admin, email="new@example.test", platform_role="reviewer")
    return OutboxEntry.objects.get()


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("dispatch_outbox", *args, stdout=out)
    return out.getvalue()


def test_a_failed_email_stays_pending_with_the_reason(invitation_email):
    assert (invitation_email.status, invitation_email.attempts) == (OutboxStatus.PENDING, 1)
    assert "ConnectionRefusedError" in invitation_email.last_error
    assert invitation_email.next_attempt_at == NOW + datetime.timedelta(seconds=30)


def test_the_periodic_task_retries_only_rows_that_are_due(invitation_email, clock):
    assert outbox_dispatch_due_task.delay().get() == 0
    invitation_email.refresh_from_db()
    assert invitation_email.attempts == 1

    clock.shift(datetime.timedelta(seconds=30))
    assert outbox_dispatch_due_task.delay().get() == 1
    invitation_email.refresh_from_db()
    assert invitation_email.attempts == 2


def test_the_wait_doubles_up_to_an_hour_then_the_row_fails_for_good(invitation_email, clock, settings):
    waits = []
    entry = invitation_email
    while entry.status == OutboxStatus.PENDING:
        waits.append((entry.next_attempt_at - timezone.now()).total_seconds())
        clock.move_to(entry.next_attempt_at)
        assert outbox_dispatch_due_task.delay().get() == 1
        entry.refresh_from_db()

    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600, 3600, 3600]
    assert (entry.status, entry.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    # Failed for good: the periodic task leaves it alone, the command shows it and fails.
    clock.shift(datetime.timedelta(days=1))
    assert outbox_dispatch_due_task.delay().get() == 0
    with pytest.raises(CommandError, match="1 failed for good. Run with --retry-failed"):
        run_command()

    smtp_back(settings)
    output = run_command("--retry-failed")

    assert "Put 1 failed row(s) back to pending." in output
    assert f"#{entry.pk} email invitation:" in output and ": done" in output
    assert [message.to for message in mail.outbox] == [["new@example.test"]]
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == (OutboxStatus.DONE, 1)


def test_the_command_lists_what_still_fails_and_exits_non_zero(invitation_email):
    with pytest.raises(CommandError) as failure:
        out = io.StringIO()
        call_command("dispatch_outbox", stdout=out)

    assert "0 done, 0 queued for a worker, 1 still failing; 0 failed for good" in str(failure.value)
    assert f"#{invitation_email.pk} email invitation:" in out.getvalue()
    assert "still failing (attempt 2): ConnectionRefusedError" in out.getvalue()


def test_the_command_says_all_is_well_when_nothing_is_pending(db):
    summary = "Dispatched 0: 0 done, 0 queued for a worker, 0 still failing; 0 failed for good."
    assert run_command().strip() == summary


def test_the_periodic_task_is_in_the_one_schedule():
    entries = [entry for entry in django_settings.CELERY_BEAT_SCHEDULE.values() if "outbox" in entry["task"]]

    assert [entry["task"] for entry in entries] == ["outbox.tasks.outbox_dispatch_due_task"]
    assert entries[0]["schedule"] <= 60
