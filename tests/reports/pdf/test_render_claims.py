"""A PDF delivered twice, re-queued or abandoned mid-render still ends as one ready PDF, one ledger
entry and no stored file that nothing refers to (reports.pdf.services: claims, the sweep).

A process killed mid-render is stood in for here by an exception no `except Exception` catches
(`Killed`): it leaves the claim set and nothing marked, as SIGKILL does. test_worker_killed.py kills
a real worker process.
"""

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from commitments.models import LedgerEntry
from commitments.vocabulary import LedgerEvent
from reports.models import ArtifactStatus
from reports.pdf import services
from reports.pdf.services import artifact_render, artifact_request, artifact_retry, artifact_sweep_stale
from tests.reports.public_builders import published


class Killed(BaseException):
    """What a SIGKILL looks like from inside: the rendering stops, nothing after it runs."""


@pytest.fixture
def pub(org, period, reviewer, program_admin):
    return published(org, period, reviewer=reviewer, admin=program_admin)


@pytest.fixture
def pending(pub, program_admin):
    return artifact_request(kind="audit", acting_user=program_admin, report=pub, queue=False)


def _stored_pdfs() -> set[Path]:
    return {p for p in (Path(settings.MEDIA_ROOT) / "reports").rglob("*") if p.is_file()}


def _rendered_entries(artifact) -> int:
    return LedgerEntry.objects.filter(
        event=LedgerEvent.ARTIFACT_RENDERED, subject_id=str(artifact.pk)
    ).count()


def _later(minutes: int = 0):
    """Past the render time limit (plus `minutes`): the claim of a rendering started now is stale."""
    seconds = settings.PDF_RENDER_TIME_LIMIT + 60 + minutes * 60
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True)


def _assert_one_ready_pdf(artifact, files_before: set[Path]) -> None:
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert _rendered_entries(artifact) == 1
    assert _stored_pdfs() - files_before == {Path(settings.MEDIA_ROOT) / artifact.storage_name}
    call_command("verify_ledger")


def _kill_while(target: str, *, after=None):
    """Patch services.<target> so that the rendering dies in it (after calling through, if `after`)."""
    real = getattr(services, target)

    def dying(*args, **kwargs):
        if after:
            real(*args, **kwargs)
        raise Killed

    return mock.patch.object(services, target, side_effect=dying)


def _first_call_does(target: str, meanwhile, *, then_fail: Exception | None = None):
    """Patch services.<target> so that its first call runs `meanwhile()` (another rendering, say)
    first, then goes on (or raises `then_fail`); later calls, the other rendering's, go straight through."""
    real = getattr(services, target)
    calls = []

    def patched(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            meanwhile()
            if then_fail is not None:
                raise then_fail
        return real(*args, **kwargs)

    return mock.patch.object(services, target, side_effect=patched)


def test_a_message_delivered_again_takes_over_at_once_and_renders_one_pdf(pending):
    before = _stored_pdfs()
    with _kill_while("sign_pdf"), pytest.raises(Killed):
        artifact_render(pending.pk, task_id="task-1")
    pending.refresh_from_db()
    assert pending.status == ArtifactStatus.PENDING and pending.claim is not None

    # The broker hands the same message (same task id) to another process: no waiting for a lease.
    rendered = artifact_render(pending.pk, task_id="task-1")

    assert rendered.attempts == 2
    _assert_one_ready_pdf(pending, before)


def test_a_second_message_leaves_a_live_rendering_alone(pending):
    before = _stored_pdfs()
    outcomes = []
    second_message = lambda: outcomes.append(artifact_render(pending.pk, task_id="task-2"))  # noqa: E731

    with _first_call_does("sign_pdf", second_message):
        artifact_render(pending.pk, task_id="task-1")

    assert outcomes[0].status == ArtifactStatus.PENDING  # the second did nothing
    pending.refresh_from_db()
    assert pending.attempts == 1
    _assert_one_ready_pdf(pending, before)


def _taken_over_by_a_later_rendering(pending):
    def take_over():
        with _later():
            artifact_render(pending.pk, task_id="task-2")  # takes the stale claim, renders, is ready

    return take_over


def test_a_stale_rendering_finishing_late_is_discarded_and_its_file_removed(pending):
    """The first rendering is presumed dead and taken over; it then finishes after all."""
    before = _stored_pdfs()
    with _first_call_does("store_bytes", _taken_over_by_a_later_rendering(pending)):
        artifact_render(pending.pk, task_id="task-1")
    _assert_one_ready_pdf(pending, before)


def test_a_stale_rendering_taken_over_before_it_stores_stores_nothing(pending):
    before = _stored_pdfs()
    with _first_call_does("sign_pdf", _taken_over_by_a_later_rendering(pending)):
        artifact_render(pending.pk, task_id="task-1")
    _assert_one_ready_pdf(pending, before)


def test_a_failure_of_a_taken_over_rendering_does_not_fail_the_new_one(pending):
    before = _stored_pdfs()
    crash = RuntimeError("renderer crashed")
    with _first_call_does("html_to_pdf", _taken_over_by_a_later_rendering(pending), then_fail=crash):
        artifact_render(pending.pk, task_id="task-1")
    _assert_one_ready_pdf(pending, before)


def test_the_file_of_a_rendering_killed_after_storing_it_is_removed_when_it_is_queued_again(
    pending, django_capture_on_commit_callbacks
):
    before = _stored_pdfs()
    with _kill_while("store_bytes", after=True), pytest.raises(Killed):
        artifact_render(pending.pk, task_id="task-1")
    assert len(_stored_pdfs() - before) == 1  # stored, never marked ready

    with _later(), django_capture_on_commit_callbacks(execute=True):
        outcome = artifact_sweep_stale()

    assert outcome.requeued == [pending.pk]
    _assert_one_ready_pdf(pending, before)


def test_the_sweep_leaves_recent_and_finished_pdfs_alone(pending, pub, program_admin):
    done = artifact_render(
        artifact_request(kind="public", acting_user=program_admin, report=pub, queue=False).pk
    )
    assert done.status == ArtifactStatus.READY
    with _kill_while("sign_pdf"), pytest.raises(Killed):
        artifact_render(pending.pk, task_id="task-1")

    outcome = artifact_sweep_stale()  # claimed a moment ago: still within the time limit

    assert outcome.requeued == outcome.failed == []
    pending.refresh_from_db()
    assert pending.status == ArtifactStatus.PENDING and pending.attempts == 1


def test_the_sweep_queues_a_pdf_whose_message_was_lost(pending, django_capture_on_commit_callbacks):
    before = _stored_pdfs()
    with _later(), django_capture_on_commit_callbacks(execute=True):
        outcome = artifact_sweep_stale()
    assert outcome.requeued == [pending.pk]
    _assert_one_ready_pdf(pending, before)


def test_after_the_last_attempt_the_sweep_marks_it_failed_and_staff_can_retry(
    pending, program_admin, django_capture_on_commit_callbacks
):
    before = _stored_pdfs()
    with _kill_while("html_to_pdf"):
        with pytest.raises(Killed):
            artifact_render(pending.pk, task_id="task-1")
        for round_ in range(1, settings.PDF_RENDER_MAX_ATTEMPTS + 1):
            try:
                with _later(minutes=20 * round_), django_capture_on_commit_callbacks(execute=True):
                    outcome = artifact_sweep_stale()
            except Killed:  # the re-queued rendering, run in-process, died again
                outcome = None
    assert outcome is not None and outcome.failed == [pending.pk]
    pending.refresh_from_db()
    assert pending.status == ArtifactStatus.FAILED
    assert pending.attempts == settings.PDF_RENDER_MAX_ATTEMPTS
    assert f"started {settings.PDF_RENDER_MAX_ATTEMPTS} times and never finished" in pending.failure_reason
    assert pending.claim is None

    with django_capture_on_commit_callbacks(execute=True):
        artifact_retry(artifact=pending, acting_user=program_admin)
    _assert_one_ready_pdf(pending, before)


def test_a_message_delivered_once_too_often_marks_it_failed_instead_of_rendering(pending):
    with _kill_while("html_to_pdf"):
        for _ in range(settings.PDF_RENDER_MAX_ATTEMPTS):
            with pytest.raises(Killed):
                artifact_render(pending.pk, task_id="task-1")
        artifact_render(pending.pk, task_id="task-1")
    pending.refresh_from_db()
    assert pending.status == ArtifactStatus.FAILED
    assert "never finished" in pending.failure_reason


def test_a_rendering_past_its_soft_time_limit_is_marked_failed_with_the_reason(pending):
    with mock.patch.object(services, "html_to_pdf", side_effect=SoftTimeLimitExceeded()):
        artifact_render(pending.pk, task_id="task-1")
    pending.refresh_from_db()
    assert pending.status == ArtifactStatus.FAILED
    assert pending.failure_reason == "Rendering took longer than 10 minutes and was stopped."
    assert pending.claim is None
