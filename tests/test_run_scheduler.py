"""`manage.py run_scheduler`: CELERY_BEAT_SCHEDULE's jobs run with no broker (config/scheduler.py)."""

import datetime
import json
import logging
import threading
from unittest import mock

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command

from commitments.services import notifications
from config.celery import app
from config.scheduler import Scheduler, StateFile
from reports.pdf import services as pdf_services
from tests.builders import period_for

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 30, 6, 0, tzinfo=datetime.UTC)  # the report is due in 1 day
SCHEDULE = django_settings.CELERY_BEAT_SCHEDULE
REMINDERS_EVERY = datetime.timedelta(seconds=SCHEDULE["deadline-reminders"]["schedule"])
SWEEP_EVERY = datetime.timedelta(seconds=SCHEDULE["pdf-sweep-stale"]["schedule"])


@pytest.fixture
def state_file(settings, tmp_path):
    settings.SCHEDULER_STATE_FILE = tmp_path / "var" / "scheduler.json"
    return settings.SCHEDULER_STATE_FILE


@pytest.fixture
def due_report(framework, org, officer):
    period = period_for(framework, label="2025", year=2025)
    period.due_on = datetime.date(2026, 3, 31)
    period.save()
    return period


@pytest.fixture
def job_runs():
    """How many times each job really ran (the services behind the scheduled tasks)."""
    runs = {"reminders": 0, "sweep": 0}

    def counting(name, real):
        def run(*args, **kwargs):
            runs[name] += 1
            return real(*args, **kwargs)

        return run

    with (
        mock.patch.object(
            notifications, "reminders_send_due", counting("reminders", notifications.reminders_send_due)
        ),
        mock.patch.object(
            pdf_services, "artifact_sweep_stale", counting("sweep", pdf_services.artifact_sweep_stale)
        ),
    ):
        yield runs


def _run_once(django_capture_on_commit_callbacks, when):
    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once")


def test_a_due_reminder_is_sent_once_and_not_run_again_before_its_interval(
    due_report, officer, state_file, job_runs, django_capture_on_commit_callbacks
):
    _run_once(django_capture_on_commit_callbacks, MONDAY)
    assert [m.subject for m in mail.outbox] == ["Reminder: Northwind Models's 2025 report is due in 1 day"]
    assert job_runs == {"reminders": 1, "sweep": 1}

    # Restarted a minute later (a new process reads the state file): nothing is due yet.
    _run_once(django_capture_on_commit_callbacks, MONDAY + datetime.timedelta(minutes=1))
    assert job_runs == {"reminders": 1, "sweep": 1}
    # Later, the more frequent job is due again, the reminders not yet.
    _run_once(django_capture_on_commit_callbacks, MONDAY + SWEEP_EVERY + datetime.timedelta(minutes=1))
    assert job_runs == {"reminders": 1, "sweep": 2}
    assert len(mail.outbox) == 1

    # Once the interval has passed, it runs again (and the reminder, already sent, is not repeated).
    _run_once(django_capture_on_commit_callbacks, MONDAY + REMINDERS_EVERY + datetime.timedelta(minutes=1))
    assert job_runs["reminders"] == 2
    assert len(mail.outbox) == 1


def test_after_days_down_it_catches_up_with_one_run(
    due_report, officer, state_file, job_runs, django_capture_on_commit_callbacks
):
    _run_once(django_capture_on_commit_callbacks, MONDAY - datetime.timedelta(days=14))
    mail.outbox.clear()
    _run_once(django_capture_on_commit_callbacks, MONDAY)
    assert job_runs["reminders"] == 2
    assert [m.subject for m in mail.outbox] == ["Reminder: Northwind Models's 2025 report is due in 1 day"]


def test_a_failing_job_is_logged_and_the_others_still_run(
    due_report, state_file, job_runs, caplog, django_capture_on_commit_callbacks
):
    broken = mock.patch.object(notifications, "reminders_send_due", side_effect=RuntimeError("SMTP down"))
    with broken, caplog.at_level(logging.INFO, logger="pledgeproof.scheduler"):
        _run_once(django_capture_on_commit_callbacks, MONDAY)

    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == [
        "Scheduled entry deadline-reminders failed; it runs again at its next time"
    ]
    assert "SMTP down" in caplog.text
    assert job_runs["sweep"] == 1
    recorded = json.loads(state_file.read_text())["last_run_at"]
    assert set(recorded) == {"deadline-reminders", "pdf-sweep-stale"}


def test_an_unreadable_state_file_counts_as_never_run(
    due_report, officer, state_file, job_runs, django_capture_on_commit_callbacks
):
    state_file.parent.mkdir(parents=True)
    state_file.write_text('{"last_run_at": {"deadline-reminders": "not a date"')
    _run_once(django_capture_on_commit_callbacks, MONDAY)
    assert job_runs["reminders"] == 1
    assert json.loads(state_file.read_text())["last_run_at"]["deadline-reminders"] == MONDAY.isoformat()


def test_a_second_scheduler_refuses_to_start(state_file, job_runs):
    with StateFile(state_file).locked(), pytest.raises(CommandError, match="Another scheduler is running"):
        call_command("run_scheduler", "--once")
    assert job_runs == {"reminders": 0, "sweep": 0}


def test_with_a_broker_it_leaves_the_jobs_to_celery_beat(settings, state_file, job_runs, capsys):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    call_command("run_scheduler", "--once")
    assert "celery -A config beat" in capsys.readouterr().out
    assert job_runs == {"reminders": 0, "sweep": 0}
    assert not state_file.exists()


def test_it_stops_when_asked_between_jobs(state_file, job_runs):
    app.autodiscover_tasks(force=True)
    scheduler = Scheduler(app, StateFile(state_file))
    runner = threading.Thread(target=scheduler.run_forever)
    runner.start()
    scheduler.stop()
    runner.join(timeout=60)
    assert not runner.is_alive()
