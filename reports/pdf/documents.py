"""What goes into each PDF: the template context and the manifest, built from the database.

`document_build(artifact)` is the one entry point the rendering service calls. The public report is
built from the published snapshot only; the audit report from the live report (restricted
evidence, verdicts, comments, ledger entries) and the independent audits covering it; the program
summary from the period's current publications.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from audits.selectors import ReportEngagement, attestation_url
from commitments.models import LedgerEntry
from commitments.services.ledger.checkpoints import checkpoint_sign, log_verifier_key
from config.version import VERSION
from reports.models import ArtifactKind, ReportArtifact
from reports.pdf.common import verification_context
from tools.tlog.entry import GENESIS_HASH

# 2: the ledger position carries the signed checkpoint and the log.
# 3: the audit report carries the attested independent audits of the report ("audit").
MANIFEST_SCHEMA_VERSION = 3
LOG_PATH = "/log"  # config/urls.py mounts the transparency log here
MANIFEST_SCHEMA_PATH = "/verify/manifest.schema.json"
# The JSON Schema (draft 2020-12) of every manifest below, served at MANIFEST_SCHEMA_PATH.
MANIFEST_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "manifest.schema.json"


@dataclass(frozen=True)
class Document:
    html: str
    manifest: dict[str, Any]
    title: str


def _ledger_position() -> dict[str, Any]:
    """The log as this document is issued: a checkpoint signed now, the hash of the entry it ends
    with, and where to read the log and with which key. Rendering refuses to go on if the log
    cannot be signed (no key, or a tree that no longer extends the last checkpoint)."""
    checkpoint = checkpoint_sign()
    head_hash = (
        LedgerEntry.objects.filter(sequence=checkpoint.size).values_list("entry_hash", flat=True).first()
        if checkpoint.size
        else GENESIS_HASH
    )
    return {
        "size": checkpoint.size,
        "head_hash": head_hash,
        "checkpoint": checkpoint.note,
        "log": {"url": settings.SITE_URL + LOG_PATH, "key": str(log_verifier_key())},
    }


def _manifest_base(artifact: ReportArtifact, *, signer_fingerprint: str, generated_at) -> dict[str, Any]:
    period = artifact.period
    return {
        "schema": settings.SITE_URL + MANIFEST_SCHEMA_PATH,
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "document": {
            "id": artifact.document_id,
            "kind": artifact.kind,
            "version": artifact.version,
            "generated_at": generated_at.isoformat(),
            "verification_url": verification_url(artifact),
        },
        "period": {
            "label": period.label,
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
        },
        "framework": {"id": period.framework.key, "version": period.framework.version},
        "ledger": _ledger_position(),
        "signing_certificate_sha256": signer_fingerprint,
        "software": {"name": "Pledgeproof", "version": VERSION},
    }


def verification_url(artifact: ReportArtifact) -> str:
    return f"{settings.SITE_URL}/verify/?id={artifact.document_id}"


def _manifest_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "node": item["node"],
            "title": item["title"],
            "status": item["status"],
            "verdict": item.get("verdict"),
            "metrics": item.get("metrics", []),
            "evidence": [
                {
                    "id": entry["id"],
                    "title": entry["title"],
                    "visibility": entry["visibility"],
                    "kind": entry["kind"],
                    "sha256": entry["sha256"],
                    "size_bytes": entry["size_bytes"],
                }
                for entry in item.get("evidence", [])
            ],
        }
        for item in items
    ]


def _manifest_audit(engagements: list[ReportEngagement]) -> list[dict[str, Any]]:
    """The attested engagements covering the report, as the public reads them: who audited under
    which standard, the current attestation and its public page, and the findings on the report's
    items. Work not yet attested is the auditor's in progress and not stated."""
    return [
        {
            "engagement_id": e.engagement.pk,
            "standard": e.engagement.standard,
            "auditors": list(e.auditors),
            "firm": e.engagement.firm,
            "attestation": {
                "id": e.attestation.pk,
                "url": settings.SITE_URL + attestation_url(e.attestation.pk),
                "opinion": e.attestation.opinion,
                "attested_on": e.attestation.attested_on.isoformat(),
            },
            "findings": [{"node": f.item.node.node_id, "kind": f.kind} for f in e.findings],
        }
        for e in engagements
        if e.attestation is not None
    ]


def _render(template: str, context: dict[str, Any], *, artifact: ReportArtifact, manifest, title: str) -> str:
    context.update(
        {
            "artifact": artifact,
            "document_id": artifact.document_id,
            "kind_label": ArtifactKind(artifact.kind).label,
            "manifest": manifest,
            "title": title,
            "generated_at": datetime.datetime.fromisoformat(manifest["document"]["generated_at"]),
            **verification_context(manifest),
        }
    )
    # Documents print times in UTC whatever the server's zone, and say so.
    with timezone.override(datetime.UTC):
        return render_to_string(template, context)


def _public_report(artifact: ReportArtifact, base: dict[str, Any]) -> Document:
    from reports.pdf.public import public_report_context

    context = public_report_context(artifact.publication, period=artifact.period)
    snapshot = context["snapshot"]
    manifest = {
        **base,
        "report": {
            "id": snapshot["report_id"],
            "reference": snapshot["reference"],
            "revision": snapshot["revision"],
            "publication_version": artifact.publication.version,
            "snapshot_sha256": artifact.publication.snapshot_sha256,
        },
        "organisation": snapshot["organisation"],
        "items": _manifest_items(snapshot["items"]),
    }
    title = f"{snapshot['organisation']['name']} — progress report {snapshot['period']['label']}"
    html = _render("pdf/public_report.html", context, artifact=artifact, manifest=manifest, title=title)
    return Document(html=html, manifest=manifest, title=title)


def _audit_report(artifact: ReportArtifact, base: dict[str, Any]) -> Document:
    from reports.pdf.audit import audit_report_context

    context = audit_report_context(artifact.report)
    manifest = {
        **base,
        "report": {
            "id": artifact.report.pk,
            "reference": artifact.report.reference,
            "revision": artifact.report.revision,
            "status": artifact.report.status,
        },
        "organisation": {
            "name": artifact.report.organisation.name,
            "slug": artifact.report.organisation.slug,
        },
        "items": _manifest_items(context["items"]),
        "audit": _manifest_audit(context["engagements"]),
    }
    title = f"{artifact.report.organisation.name} — audit report {artifact.period.label}"
    html = _render("pdf/audit_report.html", context, artifact=artifact, manifest=manifest, title=title)
    return Document(html=html, manifest=manifest, title=title)


def _program_summary(artifact: ReportArtifact, base: dict[str, Any]) -> Document:
    from reports.pdf.summary import program_summary_context

    context = program_summary_context(artifact.period)
    manifest = {
        **base,
        "report": None,
        "organisation": None,
        "organisations": context["manifest_organisations"],
    }
    title = f"Program summary {artifact.period.label}"
    html = _render("pdf/program_summary.html", context, artifact=artifact, manifest=manifest, title=title)
    return Document(html=html, manifest=manifest, title=title)


_BUILDERS = {
    ArtifactKind.PUBLIC: _public_report,
    ArtifactKind.AUDIT: _audit_report,
    ArtifactKind.SUMMARY: _program_summary,
}


def document_build(artifact: ReportArtifact, *, signer_fingerprint: str) -> Document:
    base = _manifest_base(artifact, signer_fingerprint=signer_fingerprint, generated_at=timezone.now())
    return _BUILDERS[ArtifactKind(artifact.kind)](artifact, base)
