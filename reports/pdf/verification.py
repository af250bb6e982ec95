"""Is this PDF one of ours, and is it the current version? (Issue 5, verification.)

The signature is checked by the standalone verifier (tools/verify_report.py) against the
platform's own root certificate, exactly as an auditor would check it offline; this module adds
what only the platform knows: whether a file's SHA-256 is a ready artifact, and whether a newer
version supersedes it.

A ready artifact is superseded when a newer ready version of the same kind exists for the same
report (or, for the program summary, the same period), or, for a public report, when its
publication was superseded by a correction.

What a visitor learns depends on what they bring. A document id (printed on every page, and
sequential) finds only public documents (`ReportArtifact.objects.public()`); any other id answers
exactly like an unknown one, so ids cannot be walked to learn that an audit report, or a report
not yet published, exists. The file or its SHA-256 finds any genuine document: holding it proves
the right to know. Either way, a newer version is named only when it is public itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from commitments.services.ledger.checkpoints import log_verifier_key
from commitments.services.ledger.serve import log_get
from reports.models import ArtifactKind, Publication, ReportArtifact
from reports.pdf.signing import signing_material
from tools.tlog.pdf_log import LogCheck, pdf_log_checks
from tools.verify_report import VerificationResult, verify_pdf_bytes

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_DOCUMENT_ID_LENGTH = 120

# Document ids as ReportArtifact.document_id writes them: "PP-<period>-<report pk>-<kind>-v<n>"
# for a report's PDFs, "PP-<framework>-<period>-summary-v<n>" for a period's summary.
_REPORT_DOCUMENT_ID = re.compile(
    r"^PP-(?P<label>.+)-(?P<pk>\d{6,})-(?P<kind>public|audit)-v(?P<version>\d+)$"
)
_SUMMARY_DOCUMENT_ID = re.compile(r"^PP-(?P<scope>.+)-summary-v(?P<version>\d+)$")


def sha256_normalise(value: str) -> str | None:
    """A pasted SHA-256 in lower case, or None when it is not 64 hex digits."""
    value = (value or "").strip().lower()
    return value if SHA256_RE.match(value) else None


def _artifacts():
    return (
        ReportArtifact.objects.ready()
        .with_public_flag()
        .select_related(
            "report__organisation", "report__period__framework", "period__framework", "publication"
        )
    )


def artifact_is_public(artifact: ReportArtifact) -> bool:
    """Whether anyone may find this document by its id and download it (see ReportArtifact.public)."""
    flag = getattr(artifact, "is_public", None)
    if flag is None:  # loaded elsewhere, without the flag
        flag = ReportArtifact.objects.public().filter(pk=artifact.pk).exists()
    return bool(flag)


def artifact_find_by_sha256(sha256: str) -> ReportArtifact | None:
    """The ready artifact whose signed file has this SHA-256 (content-addressed, so at most one)."""
    sha256 = sha256_normalise(sha256)
    if sha256 is None:
        return None
    return _artifacts().filter(sha256=sha256).order_by("pk").first()


def public_artifacts_find_by_document_id(document_id: str) -> list[ReportArtifact]:
    """Public artifacts with this printed id: one, or none (a list, so callers need not care).

    Any other document with this id is left out, so that the answer is the same as for an id
    that was never issued.
    """
    document_id = (document_id or "").strip()
    if not document_id or len(document_id) > MAX_DOCUMENT_ID_LENGTH:
        return []
    public = _artifacts().public()
    if match := _REPORT_DOCUMENT_ID.match(document_id):
        candidates = public.filter(
            kind=match["kind"], report_id=int(match["pk"]), version=int(match["version"])
        )
    elif match := _SUMMARY_DOCUMENT_ID.match(document_id):
        candidates = public.filter(
            kind=ArtifactKind.SUMMARY,
            report__isnull=True,
            version=int(match["version"]),
        )
    else:
        return []
    return [artifact for artifact in candidates.order_by("pk") if artifact.document_id == document_id]


@dataclass(frozen=True)
class ArtifactStanding:
    artifact: ReportArtifact
    superseded: bool
    reason: str  # why it is superseded; empty when current
    current: ReportArtifact | None  # the version to use instead, when one is ready and public


def _newest_ready(artifact: ReportArtifact, **filters) -> ReportArtifact | None:
    scope = _artifacts().filter(kind=artifact.kind, **filters)
    if artifact.report_id:
        scope = scope.filter(report_id=artifact.report_id)
    else:
        scope = scope.filter(report__isnull=True, period_id=artifact.period_id)
    return scope.order_by("-version").first()


def artifact_standing(artifact: ReportArtifact) -> ArtifactStanding:
    """Whether a newer version supersedes this one; the newer one is named only when it is public.

    The caller either found `artifact` by a public id or holds its bytes or hash; a newer audit
    report is neither, so its id and hash stay unsaid (the holder learns only that one exists).
    """
    if artifact.kind == ArtifactKind.PUBLIC and artifact.publication_id:
        current_publication = Publication.objects.current().filter(report_id=artifact.report_id).first()
        if current_publication is not None and current_publication.pk != artifact.publication_id:
            newest = _newest_ready(artifact, publication=current_publication)
            newest = newest if newest is not None and artifact_is_public(newest) else None
            published = f"{current_publication.published_at:%d %b %Y}"
            reason = (
                f"the report was corrected: publication version {current_publication.version} ({published}) "
                f"supersedes version {artifact.publication.version}"
            )
            if newest is None:
                reason += "; its signed PDF is not ready yet"
            return ArtifactStanding(artifact=artifact, superseded=True, reason=reason, current=newest)
    newest = _newest_ready(artifact)
    if newest is not None and newest.version > artifact.version:
        if not artifact_is_public(newest):
            return ArtifactStanding(
                artifact=artifact, superseded=True, reason="a newer version was issued", current=None
            )
        return ArtifactStanding(
            artifact=artifact,
            superseded=True,
            reason=f"a newer version, {newest.document_id}, was issued",
            current=newest,
        )
    return ArtifactStanding(artifact=artifact, superseded=False, reason="", current=None)


def artifact_public_url(artifact: ReportArtifact) -> str | None:
    """Where anyone may download this PDF; None for any document that is not public."""
    if not artifact_is_public(artifact):
        return None
    return reverse("verify:document", args=[artifact.document_id])


def report_public_url(artifact: ReportArtifact) -> str | None:
    """The public page of the report a public PDF was made from."""
    if artifact.kind != ArtifactKind.PUBLIC or artifact.report is None or not artifact_is_public(artifact):
        return None
    report = artifact.report
    return reverse(
        "public:report", args=[report.organisation.slug, report.period.framework.key, report.period.label]
    )


def platform_root_fingerprint() -> str | None:
    """SHA-256 of the root certificate verifiers trust; None while no signing key is set up."""
    try:
        return signing_material().root_fingerprint
    except ImproperlyConfigured:
        return None


def _platform_log() -> dict:
    """The platform's own log, read through the same paths an outside verifier reads over the
    network (commitments/services/ledger/serve.py), with the log's key pinned; nothing when no
    log key is set up (the signature alone is checked then)."""
    try:
        return {"log": log_get, "log_key": str(log_verifier_key())}
    except ImproperlyConfigured:
        return {}


def pdf_verify(data: bytes, *, evidence_dir: Path | str | None = None) -> VerificationResult:
    """Check a PDF's signature and manifest against this platform's root certificate, and the
    history it reports against the platform's transparency log."""
    return verify_pdf_bytes(
        data, root=signing_material().root_pem, evidence_dir=evidence_dir, **_platform_log()
    )


def artifact_log_checks(artifact: ReportArtifact) -> tuple[LogCheck, ...]:
    """The log checks of a document found by its hash or id, from the manifest it was issued with
    (the same checks an uploaded file gets)."""
    log = _platform_log()
    try:
        manifest = json.loads(artifact.manifest)
    except ValueError:
        manifest = None
    if not log or not isinstance(manifest, dict):
        return ()
    return tuple(pdf_log_checks(manifest, artifact.sha256, log["log"], key=log["log_key"]))
