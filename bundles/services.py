"""Audit bundles: request one, build it (in a Celery task, or at once for `manage.py audit_bundle`),
and record its download.

Building resolves the scope first (bundle_scope): the reports in it, their signed PDFs (the
latest ready audit and public PDF of each; one not made yet is rendered now through
reports.pdf.services, as a click on the documents page would), then a checkpoint of the log signed
after them, so that it covers every entry the bundle holds. Then each part of bundles.parts.PARTS
gives its files, which are written into the ZIP one by one (the row counts them for the page
that shows progress), followed by VERIFY.md, manifest.json (every other file's SHA-256) and
manifest.json.p7s, manifest.json's detached CMS signature by the platform's signing key (the key of
the PDFs, reports.pdf.signing): with it, every file of the bundle rests on a signature, the OSCAL
documents and VERIFY.md too, which only the manifest covers.

A build is claimed with one conditional update, so a second copy of its job builds nothing; one
that fails, in any part, marks the bundle failed with the part named and the reason. The ZIP is
stored content-addressed like the signed PDFs. Downloading it records, in the ledger, that its
holder opened each restricted file it holds, as downloading one of them alone does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from audits.models import Engagement
from audits.selectors_engagements import audit_reports
from bundles.models import AuditBundle
from bundles.parts import PARTS, BundleScope, Files, scope_evidence
from commitments import access
from commitments.errors import DomainError
from commitments.evidence_storage import open_blob, scratch_dir, store_file
from commitments.models import Evidence, ProgressReport, ReportStatus
from commitments.services.evidence import restricted_evidence_accessed_many
from commitments.services.ledger.checkpoints import checkpoint_sign
from outbox.models import OutboxKind
from outbox.services import record
from reports.models import ArtifactKind, ArtifactStatus, ReportArtifact
from reports.pdf.services import artifact_render, artifact_request
from reports.pdf.signing import TimestampUnavailable, sign_detached

logger = logging.getLogger(__name__)

FORMAT = "pledgeproof-audit-bundle"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.p7s"  # detached CMS (DER) of manifest.json, by the PDFs' signing key
VERIFY_NAME = "VERIFY.md"
STORAGE_PREFIX = "bundles"
MAX_REASON_LENGTH = 2000
# Every file carries this time, so that the same content makes the same ZIP.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

Progress = Callable[[int, int], None]


class BundleFailed(DomainError):
    """A part of the bundle could not be made; the message says which and why."""


# --- request -----------------------------------------------------------------------------------------


def _require(acting_user: User, *, engagement: Engagement | None, report: ProgressReport | None) -> None:
    if engagement is not None:
        access.require(acting_user, access.Action.AUDIT, engagement)
    else:
        access.require(acting_user, access.Action.READ_AUDIT, report)


@transaction.atomic
def bundle_request(
    *, acting_user: User, engagement: Engagement | None = None, report: ProgressReport | None = None
) -> AuditBundle:
    """A pending bundle of the engagement's reports (for one of its auditors) or of one report (for
    whoever may read its audit PDF), built by a job queued once this commits."""
    if (engagement is None) == (report is None):
        raise ValueError("A bundle is of an engagement or of a report.")
    _require(acting_user, engagement=engagement, report=report)
    bundle = AuditBundle.objects.create(
        engagement=engagement, report=report, requested_by=acting_user, requested_at=timezone.now()
    )
    record(OutboxKind.BUNDLE_BUILD, {"bundle_id": bundle.pk})
    return bundle


# --- scope -------------------------------------------------------------------------------------------


def bundle_scope(
    *, engagement: Engagement | None = None, report: ProgressReport | None = None, holder: User | None = None
) -> BundleScope:
    """The reports, their PDFs (rendered now if missing) and a checkpoint signed after them.

    `holder` None: built by an operator (`manage.py audit_bundle`), every report of the scope.
    """
    if engagement is not None:
        if holder is not None:
            reports = list(audit_reports(engagement=engagement, user=holder).order_by("pk"))
        else:
            reports = list(
                ProgressReport.objects.filter(
                    organisation__in=engagement.organisations.all(), period__in=engagement.periods.all()
                )
                .select_related("organisation", "period__framework")
                .order_by("pk")
            )
    elif report is not None:
        reports = [report]
    else:
        raise ValueError("A bundle is of an engagement or of a report.")
    artifacts = []
    for one in reports:
        artifacts += _report_pdfs(one, holder)
    return BundleScope(
        engagement=engagement,
        reports=tuple(reports),
        holder=holder,
        checkpoint=checkpoint_sign(),
        artifacts=tuple(artifacts),
    )


def _report_pdfs(report: ProgressReport, holder: User | None) -> list[ReportArtifact]:
    """The latest ready audit PDF and (once published) public PDF, each rendered now if none is."""
    kinds = [ArtifactKind.AUDIT]
    if report.status == ReportStatus.PUBLISHED:
        kinds.append(ArtifactKind.PUBLIC)
    found = []
    for kind in kinds:
        latest = ReportArtifact.objects.ready().filter(report=report, kind=kind).order_by("-version").first()
        if latest is None:
            # The public PDF is the platform's to issue (publishing renders it); nobody asks for it.
            asker = holder if kind == ArtifactKind.AUDIT else None
            pending = artifact_request(kind=kind, acting_user=asker, report=report, queue=False)
            latest = artifact_render(pending.pk)
            if latest.status != ArtifactStatus.READY:
                raise BundleFailed(
                    f"The {kind.label.lower()} of {report.reference} could not be made: "
                    f"{latest.failure_reason}"
                )
        found.append(ReportArtifact.objects.select_related("report__period", "period").get(pk=latest.pk))
    return found


# --- the ZIP -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    files: dict[str, str]  # name -> SHA-256 of every file but manifest.json and its signature
    restricted_evidence: list[int]

    @property
    def count(self) -> int:
        """How many files the ZIP holds: those listed, manifest.json and manifest.json.p7s."""
        return len(self.files) + 2


def bundle_files(scope: BundleScope, parts: Iterable[Callable[[BundleScope], Files]]) -> Files:
    """Every part's files, in order; a part that fails is named in the BundleFailed it raises."""
    files: dict = {}
    for part in parts:
        try:
            given = part(scope)
        except (BundleFailed, SoftTimeLimitExceeded):
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a part is the bundle's, with its name
            raise BundleFailed(f"The {_part_name(part)} part failed: {type(exc).__name__}: {exc}") from exc
        for name in given:
            if name in files or name in (MANIFEST_NAME, SIGNATURE_NAME, VERIFY_NAME):
                raise BundleFailed(f"Two parts of the bundle give the file {name}.")
        files.update(((name, (part, content)) for name, content in given.items()))
    return files


def _part_name(part: Callable) -> str:
    return getattr(part, "__name__", "unnamed").removesuffix("_part")


def bundle_write(
    scope: BundleScope,
    out: BinaryIO,
    *,
    progress: Progress | None = None,
    parts: Iterable[Callable[[BundleScope], Files]] | None = None,
) -> Written:
    """Write the bundle's ZIP to `out`; `progress(done, total)` after each file."""
    files = bundle_files(scope, PARTS if parts is None else parts)
    total = len(files) + 3
    report = progress or (lambda done, total: None)
    report(0, total)
    hashes: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (name, (part, content)) in enumerate(files.items(), start=1):
            try:
                data = content() if callable(content) else content
            except (BundleFailed, SoftTimeLimitExceeded):
                raise
            except Exception as exc:  # noqa: BLE001 - named, as in bundle_files
                raise BundleFailed(
                    f"The {_part_name(part)} part failed on {name}: {type(exc).__name__}: {exc}"
                ) from exc
            hashes[name] = _add(archive, name, data)
            report(done, total)
        hashes[VERIFY_NAME] = _add(archive, VERIFY_NAME, verify_text(scope, hashes).encode())
        report(total - 2, total)
        manifest = manifest_json(scope, hashes)
        _add(archive, MANIFEST_NAME, manifest)
        report(total - 1, total)
        _add(archive, SIGNATURE_NAME, _signed(manifest))
        report(total, total)
    restricted = [
        evidence.pk
        for evidence in scope_evidence(scope)
        if evidence.visibility == Evidence.Visibility.RESTRICTED
    ]
    return Written(files=hashes, restricted_evidence=restricted)


def _signed(manifest: bytes) -> bytes:
    try:
        return sign_detached(manifest)
    except TimestampUnavailable as exc:
        raise BundleFailed(f"The manifest could not be signed: {exc}") from exc


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> str:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    archive.writestr(info, data)
    return hashlib.sha256(data).hexdigest()


def _scope_description(scope: BundleScope) -> dict:
    engagement = scope.engagement
    return {
        "engagement": None if engagement is None else {"id": engagement.pk, "title": engagement.title},
        "reports": [
            {
                "id": report.pk,
                "reference": report.reference,
                "organisation": report.organisation.name,
                "period": report.period.label,
            }
            for report in scope.reports
        ],
    }


def manifest_json(scope: BundleScope, hashes: dict[str, str]) -> bytes:
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "built_at": timezone.now().isoformat(),
        "scope": _scope_description(scope),
        "checkpoint": {"size": scope.checkpoint.size, "root": bytes(scope.checkpoint.root).hex()},
        "files": dict(sorted(hashes.items())),
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def verify_text(scope: BundleScope, hashes: dict[str, str]) -> str:
    return render_to_string(
        "bundles/VERIFY.md",
        {
            "scope": _scope_description(scope),
            "checkpoint": scope.checkpoint,
            "pdfs": sorted(name for name in hashes if name.startswith("pdf/")),
            "site_url": settings.SITE_URL,
        },
    )


def bundle_write_file(scope: BundleScope, path: str, *, progress: Progress | None = None) -> Written:
    with open(path, "wb") as out:
        return bundle_write(scope, out, progress=progress)


# --- the job -----------------------------------------------------------------------------------------


def bundle_build(bundle_id: int) -> AuditBundle:
    """Build one pending bundle for its requester. Never raises for a failure: it is recorded."""
    if not _claim(bundle_id):
        return AuditBundle.objects.get(pk=bundle_id)
    bundle = AuditBundle.objects.select_related("engagement", "report__organisation", "requested_by").get(
        pk=bundle_id
    )
    holder = bundle.requested_by
    refused = access.refusal(holder, access.Action.READ, bundle)
    if refused:
        return _fail(bundle_id, f"Not built for {holder.email}: {refused}")
    fd, scratch = tempfile.mkstemp(prefix=".bundle-", suffix=".part", dir=scratch_dir())
    os.close(fd)
    try:
        scope = bundle_scope(engagement=bundle.engagement, report=bundle.report, holder=holder)
        written = bundle_write_file(
            scope, scratch, progress=lambda done, total: _progress(bundle_id, done, total)
        )
        with open(scratch, "rb") as handle:
            sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        size = os.path.getsize(scratch)
        # Stored under its hash; on a folder storage the scratch file is moved into place.
        storage_name = store_file(scratch, f"{STORAGE_PREFIX}/{sha256[:2]}/{sha256}.zip")
        AuditBundle.objects.filter(pk=bundle_id, status=ArtifactStatus.PENDING).update(
            status=ArtifactStatus.READY,
            storage_name=storage_name,
            sha256=sha256,
            size_bytes=size,
            checkpoint_size=scope.checkpoint.size,
            restricted_evidence=written.restricted_evidence,
            built_at=timezone.now(),
        )
    except SoftTimeLimitExceeded:
        return _fail(bundle_id, "Building took longer than it may and was stopped; ask for a new bundle.")
    except DomainError as exc:
        return _fail(bundle_id, str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the bundle for the user
        logger.exception("Bundle %s failed", bundle_id)
        return _fail(bundle_id, f"{type(exc).__name__}: {exc}")
    finally:
        with suppress(FileNotFoundError):
            os.unlink(scratch)
    return AuditBundle.objects.get(pk=bundle_id)


def _claim(bundle_id: int) -> bool:
    """Take the build, unless another copy holds it (and is not past the time a build may take)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.BUNDLE_BUILD_TIME_LIMIT)
    return bool(
        AuditBundle.objects.filter(pk=bundle_id, status=ArtifactStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )


def _progress(bundle_id: int, done: int, total: int) -> None:
    AuditBundle.objects.filter(pk=bundle_id).update(files_done=done, files_total=total)


def _fail(bundle_id: int, reason: str) -> AuditBundle:
    AuditBundle.objects.filter(pk=bundle_id, status=ArtifactStatus.PENDING).update(
        status=ArtifactStatus.FAILED, failure_reason=reason[:MAX_REASON_LENGTH]
    )
    return AuditBundle.objects.get(pk=bundle_id)


# --- download ----------------------------------------------------------------------------------------


@transaction.atomic
def bundle_downloaded(*, bundle: AuditBundle, reader: User) -> BinaryIO:
    """The stored ZIP, opened; first recorded in the ledger as the opening of every restricted file
    it holds by `reader` (how: bundle), as downloading each of them would be."""
    evidence = list(
        Evidence.objects.filter(pk__in=bundle.restricted_evidence)
        .select_related("item__report")
        .order_by("pk")
    )
    if evidence:
        restricted_evidence_accessed_many(evidence=evidence, reader=reader, how="bundle")
    return open_blob(bundle.storage_name)
