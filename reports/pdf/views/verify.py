"""Public verification of signed PDFs: the /verify/ page, the root certificate, the manifest schema,
and the public PDFs themselves. (Issue 5.)

Anyone may upload a PDF, paste its SHA-256, or follow the link printed on every page of every
PDF (/verify/?id=<document id>). An upload is read into memory, checked with the standalone
verifier against the platform's root certificate, and forgotten: nothing is written to disk or
to the database. The page carries a form with a CSRF token, so it is never cached.

Looked up by id, the page finds only public documents (public reports of published reports, and
program summaries); any other id answers exactly like one never issued. The file or its SHA-256
finds any genuine document, audit reports included: holding it proves the right to know, and the
page then says nothing beyond what the holder can already see (its id, version, hash and whether
it is current). Audit reports are never served here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import is_ratelimited

from commitments.evidence_storage import blob_response
from reports.models import ArtifactKind
from reports.pdf.documents import MANIFEST_SCHEMA_FILE
from reports.pdf.services import artifact_open
from reports.pdf.signing import signing_material
from reports.pdf.verification import (
    ArtifactStanding,
    artifact_find_by_sha256,
    artifact_log_checks,
    artifact_public_url,
    artifact_standing,
    pdf_verify,
    platform_root_fingerprint,
    public_artifacts_find_by_document_id,
    report_public_url,
    sha256_normalise,
)
from tools.verify_report import VerificationResult

UPLOAD_FIELD = "pdf"
# Room for the multipart boundaries and the CSRF field around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


class _MemoryOnlyUpload(FileUploadHandler):
    """Keeps uploaded files in memory up to a total limit; nothing is ever written to disk.

    Django's default handlers spool larger uploads to a temporary file; a verification upload
    must leave no trace, so past the limit the upload is abandoned instead.
    """

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            self.buffer = io.BytesIO()
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


@dataclass(frozen=True)
class Outcome:
    """What the page answers: the standings of the matching documents, and for an upload its check."""

    query: str  # "upload", "sha256" or "id"
    value: str  # the hash or id asked about (for an upload, the file's SHA-256)
    standings: tuple[ArtifactStanding, ...]
    verification: VerificationResult | None = None
    file_name: str = ""
    log_checks: tuple = ()  # the document against the transparency log (tools/tlog/pdf_log.py)

    @property
    def verdict(self) -> str:
        if self.verification is not None and not self.verification.signature_ok:
            return "invalid"
        if any(not check.ok for check in self.log_checks):
            return "contradicted"
        if not self.standings:
            return "unknown"
        return "superseded" if all(s.superseded for s in self.standings) else "current"


def _standing_rows(outcome: Outcome | None) -> list[dict]:
    rows = []
    for standing in outcome.standings if outcome else ():
        artifact = standing.artifact
        current = standing.current
        rows.append(
            {
                "standing": standing,
                "artifact": artifact,
                "is_audit": artifact.kind == ArtifactKind.AUDIT,
                "download_url": artifact_public_url(artifact),
                "report_url": report_public_url(artifact),
                "current_download_url": artifact_public_url(current) if current else None,
                "current_report_url": report_public_url(artifact) if standing.superseded else None,
            }
        )
    return rows


def _page(
    request: HttpRequest,
    *,
    outcome: Outcome | None = None,
    errors: dict[str, str] | None = None,
    sha256_value: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "page_title": "Verify a PDF report",
        "outcome": outcome,
        "rows": _standing_rows(outcome),
        "errors": errors or {},
        "sha256_value": sha256_value,
        "max_upload_mb": settings.PDF_MAX_VERIFY_UPLOAD_BYTES // (1024 * 1024),
        "root_fingerprint": platform_root_fingerprint(),
        "upload_field": UPLOAD_FIELD,
    }
    return render(request, "verify/index.html", context, status=status)


def _lookup_id(request: HttpRequest, document_id: str) -> HttpResponse:
    artifacts = public_artifacts_find_by_document_id(document_id)
    outcome = Outcome(
        query="id",
        value=document_id[:120],
        standings=tuple(artifact_standing(a) for a in artifacts),
        log_checks=tuple(check for a in artifacts for check in artifact_log_checks(a)),
    )
    return _page(request, outcome=outcome)


def _lookup_sha256(request: HttpRequest, raw: str) -> HttpResponse:
    sha256 = sha256_normalise(raw)
    if sha256 is None:
        message = "A SHA-256 is 64 hexadecimal characters (0–9 and a–f); what was pasted is not one."
        return _page(request, errors={"sha256": message}, sha256_value=raw[:200], status=400)
    artifact = artifact_find_by_sha256(sha256)
    standings = (artifact_standing(artifact),) if artifact else ()
    log_checks = artifact_log_checks(artifact) if artifact else ()
    outcome = Outcome(query="sha256", value=sha256, standings=standings, log_checks=log_checks)
    return _page(request, outcome=outcome, sha256_value=sha256)


def _too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.PDF_MAX_VERIFY_UPLOAD_BYTES // (1024 * 1024)
    message = (
        f"The file is larger than the {limit} MB this page accepts; check it offline instead (see below)."
    )
    return _page(request, errors={"pdf": message}, status=413)


def _too_many(request: HttpRequest) -> HttpResponse:
    per_minute = settings.PDF_VERIFY_UPLOADS_PER_MINUTE
    message = (
        f"Too many files checked from your address in the last minute (this page takes {per_minute} a "
        "minute). Wait a minute and try again, or check the file offline (see below)."
    )
    response = _page(request, errors={"pdf": message}, status=429)
    response["Retry-After"] = "60"
    return response


@csrf_protect
def _verify_upload(request: HttpRequest, handler: _MemoryOnlyUpload) -> HttpResponse:
    upload = request.FILES.get(UPLOAD_FIELD)
    if handler.too_large:
        return _too_large(request)
    if upload is None:
        return _page(request, errors={"pdf": "Choose a PDF file to check."}, status=400)
    data = upload.read()
    if not data.startswith(b"%PDF-"):
        message = "This file is not a PDF: its content does not start with “%PDF-”, whatever its name says."
        return _page(request, errors={"pdf": message}, status=400)
    result = pdf_verify(data)
    artifact = artifact_find_by_sha256(result.sha256)
    outcome = Outcome(
        query="upload",
        value=result.sha256,
        standings=(artifact_standing(artifact),) if artifact else (),
        verification=result,
        file_name=Path(upload.name or "").name[:200],
        log_checks=tuple(check for check in result.checks if check.key.startswith("log_"))
        if artifact
        else (),
    )
    return _page(request, outcome=outcome)


@csrf_exempt  # the CSRF check runs in _verify_upload, after the memory-only upload handler is set
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Counted before the body is read, so that a refused upload costs next to nothing.
        rate = f"{settings.PDF_VERIFY_UPLOADS_PER_MINUTE}/m"
        if is_ratelimited(request, group="verify-upload", key="ip", rate=rate, method="POST", increment=True):
            return _too_many(request)
        limit = settings.PDF_MAX_VERIFY_UPLOAD_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + MULTIPART_OVERHEAD:
            return _too_large(request)
        handler = _MemoryOnlyUpload(request, limit=limit)
        request.upload_handlers = [handler]
        return _verify_upload(request, handler)
    if "id" in request.GET:
        return _lookup_id(request, request.GET["id"])
    if "sha256" in request.GET:
        return _lookup_sha256(request, request.GET["sha256"])
    return _page(request)


@require_safe
def root_pem_view(request: HttpRequest) -> HttpResponse:
    try:
        pem = signing_material().root_pem
    except ImproperlyConfigured:
        raise Http404("This server has no signing key set up yet.") from None
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="pledgeproof-root.pem"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def manifest_schema_view(request: HttpRequest) -> HttpResponse:
    try:
        schema = MANIFEST_SCHEMA_FILE.read_bytes()
    except FileNotFoundError:
        raise Http404("The manifest schema is not available.") from None
    response = HttpResponse(schema, content_type="application/schema+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def document_download_view(request: HttpRequest, document_id: str) -> FileResponse:
    """A public or summary PDF by its printed id; audit reports are never served here."""
    artifacts = public_artifacts_find_by_document_id(document_id)
    wanted = sha256_normalise(request.GET.get("sha256", ""))
    if wanted:  # two summaries can share an id (see reports.pdf.verification); the hash picks one
        artifacts = [a for a in artifacts if a.sha256 == wanted]
    if len(artifacts) != 1:
        raise Http404("No public document has this id.")
    artifact = artifacts[0]
    try:
        handle = artifact_open(artifact)  # FileResponse closes it
    except FileNotFoundError:
        raise Http404("This document's file is not available.") from None
    response = blob_response(
        handle, as_attachment=True, filename=artifact.file_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{artifact.sha256}"'
    # A document id always names the same signed bytes, so the file may be cached anywhere.
    response["Cache-Control"] = "public, max-age=86400"
    return response
