"""Signed PDF artifacts: request, render (in a Celery task or synchronously), retry, sweep.

A request creates a `pending` artifact and records its rendering in the outbox, queued once the
transaction commits.
Rendering builds the document, renders it with WeasyPrint, signs it, and stores the file through
the same content-addressed storage as evidence (commitments.evidence_storage.store_bytes: a
scratch file moved into place), then marks the artifact `ready` and appends a ledger entry in one
transaction. Any failure marks it `failed` with the reason and removes the
scratch file, so no half-written PDF is ever stored; a failed artifact can be retried.

Delivery is at least once (config/settings.py): a rendering may be started again while, or after,
another one ran. So a rendering first takes the artifact's claim under the row lock, and only the
holder of the current claim may store the file's name on it and mark it ready: whatever else runs
ends with one ready PDF, one ledger entry, and no stored file that nothing refers to. A claim is
taken over when its message comes back (the same task id: the process holding it died) or when
it is older than PDF_RENDER_TIME_LIMIT (a live rendering is killed at that limit); the rendering
that lost it is discarded when it finishes, and its file removed. A rendering that never finishes
is queued again by `artifact_sweep_stale` and, after PDF_RENDER_MAX_ATTEMPTS, marked failed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition
from commitments.evidence_storage import delete_blob, open_blob, store_bytes
from commitments.models import ProgressReport, ReportingPeriod, ReportStatus
from commitments.services.ledger import canonical_json, ledger_append
from commitments.services.reports import report_lock
from commitments.vocabulary import LedgerEvent
from outbox.models import OutboxKind
from outbox.services import record
from reports.cache import public_cache_invalidate_on_commit
from reports.models import ArtifactKind, ArtifactStatus, Publication, ReportArtifact
from reports.pdf.documents import document_build
from reports.pdf.render import html_to_pdf
from reports.pdf.signing import sign_pdf, signing_material

logger = logging.getLogger(__name__)

STORAGE_PREFIX = "reports"
MAX_REASON_LENGTH = 2000


def artifact_storage_name(sha256: str) -> str:
    return f"{STORAGE_PREFIX}/{sha256[:2]}/{sha256}.pdf"


def artifact_open(artifact: ReportArtifact) -> File:
    """The stored PDF, opened for reading (the caller closes it)."""
    return open_blob(artifact.storage_name)


def artifact_read(artifact: ReportArtifact) -> bytes:
    with artifact_open(artifact) as handle:
        return handle.read()


@transaction.atomic
def artifact_request(
    *,
    kind: str,
    acting_user: User | None,
    report: ProgressReport | None = None,
    period: ReportingPeriod | None = None,
    queue: bool = True,
) -> ReportArtifact:
    """Create a pending artifact (a new version) and queue its rendering after commit.

    `acting_user=None` is for the system itself (rendering on publication, admin commands).
    """
    kind = ArtifactKind(kind)
    publication = None
    if kind == ArtifactKind.SUMMARY:
        if period is None:
            raise ValueError("The program summary needs a period.")
        _require_request(acting_user, kind, period)
        ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        scope = ReportArtifact.objects.filter(kind=kind, period=period, report__isnull=True)
    else:
        if report is None:
            raise ValueError(f"The {kind.label.lower()} needs a report.")
        _require_request(acting_user, kind, report)
        report = report_lock(report.pk)
        period = report.period
        if kind == ArtifactKind.PUBLIC:
            if report.status != ReportStatus.PUBLISHED:
                raise InvalidTransition("Only a published report has a public PDF; publish it first.")
            publication = Publication.objects.current().get(report=report)
        scope = ReportArtifact.objects.filter(kind=kind, report=report)
    version = (scope.aggregate(top=Max("version"))["top"] or 0) + 1
    artifact = ReportArtifact.objects.create(
        kind=kind,
        report=report,
        publication=publication,
        period=period,
        version=version,
        requested_by=acting_user,
        requested_at=timezone.now(),
    )
    if queue:
        _queue(artifact)
    return artifact


def _require_request(acting_user: User | None, kind: str, obj: ProgressReport | ReportingPeriod) -> None:
    if acting_user is not None:  # None: the system itself
        access.require(acting_user, access.document_action(kind, access.Action.REQUEST_PDF), obj)


def _queue(artifact: ReportArtifact) -> None:
    record(OutboxKind.PDF_RENDER, {"artifact_id": artifact.pk})


@transaction.atomic
def artifact_retry(*, artifact: ReportArtifact, acting_user: User | None) -> ReportArtifact:
    """Queue a failed PDF again, or a pending one nothing has been heard of for longer than a
    rendering may take (`ReportArtifact.objects.stuck()`); it gets PDF_RENDER_MAX_ATTEMPTS anew."""
    artifact = ReportArtifact.objects.select_for_update().get(pk=artifact.pk)
    if acting_user is not None:
        access.require(acting_user, access.Action.REQUEST_PDF, artifact)
    stuck = ReportArtifact.objects.stuck().filter(pk=artifact.pk).exists()
    if artifact.status != ArtifactStatus.FAILED and not stuck:
        raise InvalidTransition(
            "Only a failed PDF, or one pending for longer than rendering may take "
            f"({_minutes(settings.PDF_RENDER_TIME_LIMIT)}), can be retried; "
            f"this one is {artifact.get_status_display().lower()}."
        )
    artifact.status = ArtifactStatus.PENDING
    artifact.failure_reason = ""
    artifact.attempts = 0
    _queue_again(artifact)
    return artifact


@dataclass(frozen=True)
class SweepOutcome:
    requeued: list[int]
    failed: list[int]


SWEEP_BATCH = 200


def artifact_sweep_stale(*, now: datetime | None = None) -> SweepOutcome:
    """Queue again every stuck PDF (pending, nothing heard of it for PDF_RENDER_TIME_LIMIT), or mark
    it failed once its renderings were started PDF_RENDER_MAX_ATTEMPTS times. Run periodically
    (CELERY_BEAT_SCHEDULE); each row is claimed under its lock, so sweeps may overlap."""
    now = now or timezone.now()
    outcome = SweepOutcome(requeued=[], failed=[])
    candidates = ReportArtifact.objects.stuck(now).order_by("pk").values_list("pk", flat=True)
    for pk in list(candidates[:SWEEP_BATCH]):
        with transaction.atomic():
            artifact = (
                ReportArtifact.objects.select_for_update(skip_locked=True).stuck(now).filter(pk=pk).first()
            )
            if artifact is None:  # another sweep or a retry got there first
                continue
            if artifact.attempts >= settings.PDF_RENDER_MAX_ATTEMPTS:
                _fail_locked(artifact, _gave_up_reason(artifact.attempts))
                outcome.failed.append(pk)
            else:
                logger.warning(
                    "PDF %s pending since %s with no progress; queued again (attempt %s so far, claim %s)",
                    pk,
                    artifact.requested_at.isoformat(),
                    artifact.attempts,
                    artifact.claimed_by or "never taken",
                )
                _queue_again(artifact)
                outcome.requeued.append(pk)
    return outcome


def artifact_render(artifact_id: int, *, task_id: str = "") -> ReportArtifact:
    """Render, sign and store one pending artifact. Never raises for a rendering failure: it is recorded.

    `task_id` is the Celery task's id: a message delivered again after its worker died carries the
    same id, which lets the new delivery take over the dead one's claim at once.

    It renders for whoever asked: if they may no longer have it (a role taken away, a membership
    given while it waited), it is marked failed with the reason, and nothing is rendered.
    """
    claim = _claim(artifact_id, task_id)
    if claim is None:
        return ReportArtifact.objects.get(pk=artifact_id)
    artifact = ReportArtifact.objects.select_related(
        "report__organisation",
        "report__period__framework",
        "period__framework",
        "publication",
        "requested_by",
    ).get(pk=artifact_id)
    requester = artifact.requested_by
    refused = requester and access.refusal(requester, access.Action.REQUEST_PDF, artifact)
    if refused:
        return _mark_failed(artifact_id, f"Not rendered for {requester.email}: {refused}", claim=claim)
    try:
        material = signing_material()
        document = document_build(artifact, signer_fingerprint=material.signer_fingerprint)
        manifest_json = canonical_json(document.manifest)
        rendered = html_to_pdf(
            document.html, manifest_json=manifest_json.encode("utf-8"), title=document.title
        )
        signed = sign_pdf(rendered.data)
        sha256 = hashlib.sha256(signed).hexdigest()
        storage_name = artifact_storage_name(sha256)
        if not _reserve_name(artifact_id, claim=claim, storage_name=storage_name):
            return ReportArtifact.objects.get(pk=artifact_id)  # taken over: nothing was stored
        store_bytes(signed, storage_name)
        return _mark_ready(
            artifact,
            claim=claim,
            signed=signed,
            sha256=sha256,
            storage_name=storage_name,
            manifest=manifest_json,
        )
    except SoftTimeLimitExceeded:
        limit = _minutes(settings.PDF_RENDER_SOFT_TIME_LIMIT)
        logger.error("Rendering %s stopped after %s", artifact.document_id, limit)
        return _mark_failed(artifact_id, f"Rendering took longer than {limit} and was stopped.", claim=claim)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the artifact for the user
        logger.exception("Rendering %s failed", artifact.document_id)
        return _mark_failed(artifact_id, f"{type(exc).__name__}: {exc}", claim=claim)


def _claim(artifact_id: int, task_id: str) -> uuid.UUID | None:
    """Take the artifact's claim for this rendering, or None when there is nothing to render."""
    with transaction.atomic():
        artifact = ReportArtifact.objects.select_for_update().get(pk=artifact_id)
        if artifact.status != ArtifactStatus.PENDING:
            return None
        now = timezone.now()
        if artifact.claim is not None:
            live = artifact.claimed_at >= now - timedelta(seconds=settings.PDF_RENDER_TIME_LIMIT)
            redelivered = bool(task_id) and task_id == artifact.claim_task_id
            if live and not redelivered:
                logger.info(
                    "PDF %s is being rendered by %s; not starting another", artifact_id, artifact.claimed_by
                )
                return None
            logger.warning(
                "PDF %s: taking over the claim of %s (%s)",
                artifact_id,
                artifact.claimed_by,
                "its message came back" if redelivered else f"silent since {artifact.claimed_at.isoformat()}",
            )
            _release_claim(artifact)
        if artifact.attempts >= settings.PDF_RENDER_MAX_ATTEMPTS:
            _fail_locked(artifact, _gave_up_reason(artifact.attempts))
            return None
        artifact.attempts += 1
        artifact.claim = uuid.uuid4()
        artifact.claimed_at = now
        artifact.claimed_by = f"{socket.gethostname()}:{os.getpid()}"[:200]
        artifact.claim_task_id = task_id[:64]
        artifact.save(update_fields=[*_CLAIM_FIELDS, "attempts", "storage_name"])
        return artifact.claim


_CLAIM_FIELDS = ("claim", "claimed_at", "claimed_by", "claim_task_id")


def _release_claim(artifact: ReportArtifact) -> None:
    """Forget a claim (and remove the file its rendering may have stored); the row is locked and
    the caller saves it."""
    reserved = artifact.storage_name if artifact.status == ArtifactStatus.PENDING else ""
    artifact.claim = None
    artifact.claimed_at = None
    artifact.claimed_by = ""
    artifact.claim_task_id = ""
    if reserved:
        artifact.storage_name = ""
        artifact.save(update_fields=["storage_name"])
        _remove_unless_referenced(reserved)


def _remove_unless_referenced(storage_name: str) -> None:
    """Remove a stored PDF no artifact refers to. Called under the row lock of the artifact whose
    rendering stored it, after that row was updated, so no claim of it can be relying on the file."""
    if not ReportArtifact.objects.filter(storage_name=storage_name).exists():
        try:
            delete_blob(storage_name)
        except Exception:
            # Storage down: the outcome (failed, taken over) must still be recorded, and an
            # unreferenced PDF left behind is harmless (its name is its hash; nothing links to it).
            logger.exception("Could not remove the unreferenced PDF %s", storage_name)


def _queue_again(artifact: ReportArtifact) -> None:
    """Queue a locked artifact's rendering again, dropping any claim (its holder is presumed dead)."""
    _release_claim(artifact)
    artifact.queued_at = timezone.now()
    artifact.save(update_fields=[*_CLAIM_FIELDS, "status", "failure_reason", "attempts", "queued_at"])
    _queue(artifact)


@transaction.atomic
def _reserve_name(artifact_id: int, *, claim: uuid.UUID, storage_name: str) -> bool:
    """Record the file's name before storing it, so that whoever takes over a claim whose process
    dies between storing and finishing can remove the file. False if the claim was taken over."""
    locked = ReportArtifact.objects.select_for_update().get(pk=artifact_id)
    if locked.status != ArtifactStatus.PENDING or locked.claim != claim:
        logger.warning("PDF %s: this rendering's claim was taken over; discarding it", artifact_id)
        return False
    locked.storage_name = storage_name
    locked.save(update_fields=["storage_name"])
    return True


@transaction.atomic
def _mark_ready(
    artifact: ReportArtifact,
    *,
    claim: uuid.UUID,
    signed: bytes,
    sha256: str,
    storage_name: str,
    manifest: str,
) -> ReportArtifact:
    locked = ReportArtifact.objects.select_for_update().get(pk=artifact.pk)
    if locked.status != ArtifactStatus.PENDING or locked.claim != claim:
        logger.warning("PDF %s: finished after its claim was taken over; discarding it", artifact.pk)
        _remove_unless_referenced(storage_name)
        return locked
    locked.status = ArtifactStatus.READY
    locked.sha256 = sha256
    locked.size_bytes = len(signed)
    locked.storage_name = storage_name
    locked.manifest = manifest
    locked.rendered_at = timezone.now()
    entry = ledger_append(
        event=LedgerEvent.ARTIFACT_RENDERED,
        subject=locked,
        # Recorded as the system's act, naming nobody: /log/artifact/<sha256> shows this entry to
        # whoever holds the PDF (who asked for it stays on the artifact row).
        actor=None,
        report_id=locked.report_id,
        data={
            "document_id": artifact.document_id,
            "kind": locked.kind,
            "version": locked.version,
            "sha256": sha256,
            "size_bytes": len(signed),
            "manifest_sha256": hashlib.sha256(manifest.encode("utf-8")).hexdigest(),
        },
    )
    locked.ledger_sequence = entry.sequence
    locked.save()
    if locked.kind != ArtifactKind.AUDIT:
        public_cache_invalidate_on_commit()  # public pages link to the new PDF
    return locked


@transaction.atomic
def _mark_failed(artifact_id: int, reason: str, *, claim: uuid.UUID) -> ReportArtifact:
    locked = ReportArtifact.objects.select_for_update().get(pk=artifact_id)
    if locked.status != ArtifactStatus.PENDING or locked.claim != claim:
        logger.warning("PDF %s: failed after its claim was taken over; the failure is ignored", artifact_id)
        return locked
    _fail_locked(locked, reason)
    return locked


def _fail_locked(artifact: ReportArtifact, reason: str) -> None:
    _release_claim(artifact)
    artifact.status = ArtifactStatus.FAILED
    artifact.failure_reason = reason[:MAX_REASON_LENGTH]
    artifact.save(update_fields=[*_CLAIM_FIELDS, "status", "failure_reason"])


def _gave_up_reason(attempts: int) -> str:
    return (
        f"Rendering was started {attempts} times and never finished: the process rendering it stopped "
        f"(killed, out of memory, or past the {_minutes(settings.PDF_RENDER_TIME_LIMIT)} limit). "
        "Retry it; if it stops again, tell the site's operator."
    )


def _minutes(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"
