"""A worker killed with SIGKILL in the middle of rendering a PDF: once a worker is available again,
the PDF is ready, once, with one ledger entry and no file left over (issue 12, self-healing jobs).

The kill is aimed, not timed: the test waits until the rendering has taken the artifact's claim
(committed in the database, naming the process), which happens before anything is rendered, then
kills that process. Rendering takes seconds, so the process is then mid-render; the test checks
that the PDF was still pending right after the kill, and says so if the kill came too late.
"""

import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from commitments.models import LedgerEntry
from commitments.vocabulary import LedgerEvent
from reports.models import ArtifactStatus, ReportArtifact
from reports.opendata.services import STORAGE_PREFIX as OPENDATA_PREFIX
from reports.pdf.services import artifact_request, artifact_sweep_stale
from tests.real_services import sending_to, start_worker
from tests.reports.public_builders import published

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Generous bounds for a slow machine; the tests poll and stop as soon as the PDF is ready.
CLAIM_TIMEOUT = 120
READY_TIMEOUT = 180


@pytest.fixture
def queue(on_postgres, flushable_ledger):
    name = f"pdf-kill-{uuid.uuid4().hex[:8]}"
    with sending_to(name):
        yield name


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(queue: str, **kwargs):
        worker = start_worker(queue, tmp_path / "worker.log", **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _media_files() -> set[Path]:
    """Everything in MEDIA_ROOT, scratch files included, but the open-data files: publishing has the
    same worker rebuild those, at a moment of its own, and they are no part of the PDF's rendering."""
    media = Path(settings.MEDIA_ROOT)
    return {p for p in media.rglob("*") if p.is_file() and not p.is_relative_to(media / OPENDATA_PREFIX)}


def _wait_for_claim(artifact: ReportArtifact, worker) -> int:
    deadline = time.monotonic() + CLAIM_TIMEOUT
    while True:
        artifact.refresh_from_db()
        if artifact.claimed_by:
            return int(artifact.claimed_by.rsplit(":", 1)[1])
        if artifact.status != ArtifactStatus.PENDING or time.monotonic() > deadline:
            pytest.fail(f"The rendering never started ({artifact.status}):\n{worker.log_tail()}")
        time.sleep(0.02)


def _assert_killed_mid_render(artifact: ReportArtifact) -> None:
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.PENDING, (
        "The rendering finished before it could be killed; nothing was tested."
    )


def _wait_until_done(artifact: ReportArtifact, worker, *, meanwhile=lambda: None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        artifact.refresh_from_db()
        if artifact.status != ArtifactStatus.PENDING:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Still pending after the kill:\n{worker.log_tail()}")
        meanwhile()
        time.sleep(0.5)


def _assert_one_ready_pdf(artifact: ReportArtifact, media_before: set[Path]) -> None:
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert (
        LedgerEntry.objects.filter(event=LedgerEvent.ARTIFACT_RENDERED, subject_id=str(artifact.pk)).count()
        == 1
    )
    assert ReportArtifact.objects.filter(report=artifact.report, kind=artifact.kind).count() == 1
    # The PDF's own file and nothing else: no copy from the killed rendering, no scratch file.
    assert _media_files() - media_before == {Path(settings.MEDIA_ROOT) / artifact.storage_name}
    call_command("verify_ledger")


def test_a_pdf_whose_worker_child_is_killed_mid_render_is_rendered_once(
    queue, workers, org, period, reviewer, program_admin
):
    worker = workers(queue)
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    media_before = _media_files()
    artifact = artifact_request(kind="public", acting_user=program_admin, report=report)

    child = _wait_for_claim(artifact, worker)
    assert child != worker.process.pid  # the prefork child doing the work, not the worker itself
    os.kill(child, signal.SIGKILL)
    _assert_killed_mid_render(artifact)

    # The worker forks a new child; the message it lost comes back and takes over the dead claim.
    _wait_until_done(artifact, worker)

    _assert_one_ready_pdf(artifact, media_before)
    assert artifact.attempts == 2
    assert str(child) not in artifact.claimed_by


def test_a_pdf_whose_whole_worker_is_killed_mid_render_is_rendered_once_by_the_next_worker(
    queue, workers, settings, org, period, reviewer, program_admin
):
    """With the whole worker gone, Redis gives the message back only after its visibility timeout;
    the sweep queues the PDF again once its claim is older than the render time limit, here made
    short (20 s) for the worker and for the sweep, which the test runs as beat would."""
    limit = {"PDF_RENDER_TIME_LIMIT": "20"}
    settings.PDF_RENDER_TIME_LIMIT = 20
    first = workers(queue, extra_env=limit)
    report = published(org, period, reviewer=reviewer, admin=program_admin)
    media_before = _media_files()
    artifact = artifact_request(kind="public", acting_user=program_admin, report=report)

    _wait_for_claim(artifact, first)
    first.kill_all()
    _assert_killed_mid_render(artifact)

    second = workers(queue, extra_env=limit)
    _wait_until_done(artifact, second, meanwhile=artifact_sweep_stale)

    _assert_one_ready_pdf(artifact, media_before)
    assert artifact.attempts == 2
