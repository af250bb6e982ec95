"""Celery is set for at-least-once delivery, with time limits on every task that size the broker's
visibility timeout (config/settings.py), so a job whose worker dies is delivered again, once."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def project_tasks():
    app.autodiscover_tasks(force=True)
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"reports.tasks.artifact_render_task", "commitments.tasks.reminders_send_due_task"} <= set(tasks)
    return tasks


def test_every_task_is_acknowledged_late_and_given_back_when_its_worker_dies(project_tasks):
    assert app.conf.worker_prefetch_multiplier == 1
    for name, task in project_tasks.items():
        assert task.acks_late and task.reject_on_worker_lost, name


def test_every_task_has_a_soft_limit_before_its_hard_limit(project_tasks):
    for name, task in project_tasks.items():
        assert task.soft_time_limit and task.time_limit, name
        assert 0 < task.soft_time_limit < task.time_limit, name


def test_the_visibility_timeout_outlasts_every_task_and_every_retry_wait(project_tasks):
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    for name, task in project_tasks.items():
        assert task.time_limit < timeout, name
        assert (getattr(task, "retry_backoff_max", 0) or 0) < timeout, name
    assert timeout < 60 * 60  # not Kombu's default hour, which delayed a killed worker's job


def test_every_scheduled_entry_names_a_task(project_tasks):
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in project_tasks


def test_a_longer_render_limit_lengthens_the_visibility_timeout():
    env = {
        **os.environ,
        "DEBUG": "1",
        "PDF_RENDER_TIME_LIMIT": "3600",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = (
        "import json, django; django.setup(); from config.celery import app; "
        "from reports.tasks import artifact_render_task as t; "
        "print(json.dumps([app.conf.broker_transport_options['visibility_timeout'], t.time_limit]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    timeout, render_limit = json.loads(result.stdout.strip().splitlines()[-1])
    assert render_limit == 3600 and timeout > 3600
