"""Signed PDF artifacts: request, render (in a Celery task or synchronously), retry.

A request creates a `pending` artifact and records its rendering in the outbox, queued once the
transaction commits.
Rendering builds the document, renders it with WeasyPrint, signs it, and stores the file through
the same content-addressed storage as evidence (commitments.evidence_storage.store_bytes: a
scratch file moved into place), then marks the artifact `ready` and appends a ledger entry in one
transaction. Any failure marks it `failed` with the reason and removes the
scratch file, so no half-written PDF is ever stored; a failed artifact can be retried.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition
from commitments.evidence_storage import open_blob, store_bytes
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
    artifact = ReportArtifact.objects.select_for_update().get(pk=artifact.pk)
    if acting_user is not None:
        access.require(acting_user, access.Action.REQUEST_PDF, artifact)
    if artifact.status != ArtifactStatus.FAILED:
        raise InvalidTransition(
            f"Only a failed PDF can be retried; this one is {artifact.get_status_display()}."
        )
    artifact.status = ArtifactStatus.PENDING
    artifact.failure_reason = ""
    artifact.save(update_fields=["status", "failure_reason"])
    _queue(artifact)
    return artifact


def artifact_render(artifact_id: int) -> ReportArtifact:
    """Render, sign and store one pending artifact. Never raises for a rendering failure: it is recorded.

    It renders for whoever asked: if they may no longer have it (a role taken away, a membership
    given while it waited), it is marked failed with the reason, and nothing is rendered.
    """
    with transaction.atomic():
        artifact = ReportArtifact.objects.select_for_update().get(pk=artifact_id)
        if artifact.status != ArtifactStatus.PENDING:
            return artifact
        artifact.attempts += 1
        artifact.save(update_fields=["attempts"])
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
        return _mark_failed(artifact_id, f"Not rendered for {requester.email}: {refused}")
    try:
        material = signing_material()
        document = document_build(artifact, signer_fingerprint=material.signer_fingerprint)
        manifest_json = canonical_json(document.manifest)
        rendered = html_to_pdf(
            document.html, manifest_json=manifest_json.encode("utf-8"), title=document.title
        )
        signed = sign_pdf(rendered.data)
        sha256 = hashlib.sha256(signed).hexdigest()
        storage_name = store_bytes(signed, artifact_storage_name(sha256))
        return _mark_ready(
            artifact, signed=signed, sha256=sha256, storage_name=storage_name, manifest=manifest_json
        )
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the artifact for the user
        logger.exception("Rendering %s failed", artifact.document_id)
        return _mark_failed(artifact_id, f"{type(exc).__name__}: {exc}")


@transaction.atomic
def _mark_ready(artifact: ReportArtifact, *, signed: bytes, sha256: str, storage_name: str, manifest: str):
    locked = ReportArtifact.objects.select_for_update().get(pk=artifact.pk)
    locked.status = ArtifactStatus.READY
    locked.sha256 = sha256
    locked.size_bytes = len(signed)
    locked.storage_name = storage_name
    locked.manifest = manifest
    locked.rendered_at = timezone.now()
    entry = ledger_append(
        event=LedgerEvent.ARTIFACT_RENDERED,
        subject=locked,
        actor=locked.requested_by,
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
def _mark_failed(artifact_id: int, reason: str) -> ReportArtifact:
    locked = ReportArtifact.objects.select_for_update().get(pk=artifact_id)
    locked.status = ArtifactStatus.FAILED
    locked.failure_reason = reason[:MAX_REASON_LENGTH]
    locked.save(update_fields=["status", "failure_reason"])
    return locked
