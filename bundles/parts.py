"""What an audit bundle holds, part by part: each part is a function of the bundle's scope that
returns file name -> content (bytes, or a function that reads them when the file is written, so
that evidence is read one file at a time).

    pdf/<file name>.pdf        the signed audit PDF and public PDFs of each report in scope
    evidence/<sha256>          every evidence file of those reports, named by its SHA-256
    ledger/entries.jsonl       their ledger entries, one JSON object a line (see `ledger_part`)
    ledger/proofs.jsonl        each entry's RFC 9162 inclusion proof against log/checkpoint
    log/checkpoint, log/key    the signed checkpoint (C2SP signed note) and the log's verifier key
    log/tile/...               the log's hash tiles at that checkpoint (c2sp.org/tlog-tiles)
    log/artifact/<sha256>      each PDF's `artifact.rendered` entry, as /log/artifact/ serves it
    root.pem                   the platform's signing root certificate
    oscal/<name>.json          the OSCAL catalog, component-definitions and assessment-results

`log/` has the layout of the public log (/log/), so the standalone verifiers read it as a copy of
the log: the tiles prove consistency with any checkpoint an auditor saved earlier, offline.
bundles/services.py adds VERIFY.md, manifest.json (every file's SHA-256) and manifest.json.p7s
(the manifest's signature by the platform's key).

A part is a function `def x_part(scope) -> Files` in PARTS; nothing else changes to add one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from accounts.models import User
from commitments.models import Checkpoint, Evidence, LedgerEntry, ProgressReport
from commitments.services.evidence import evidence_open
from commitments.services.ledger import tree
from commitments.services.ledger.serve import log_artifact_entry, log_key, log_tile
from reports.models import ReportArtifact
from reports.oscal.documents import engagement_documents, report_documents
from reports.pdf.services import artifact_read
from reports.pdf.signing import signing_material
from tools.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, tile_path

Content = bytes | Callable[[], bytes]
Files = Mapping[str, Content]


@dataclass(frozen=True)
class BundleScope:
    """What one bundle covers, decided once before any part runs (bundles.services.bundle_scope)."""

    engagement: Any | None  # audits.Engagement, for an engagement's bundle
    reports: tuple[ProgressReport, ...]
    holder: User | None  # whose bundle it is (None: built by an operator's command)
    checkpoint: Checkpoint  # signed after the PDFs were issued: it covers them and every entry
    artifacts: tuple[ReportArtifact, ...]  # ready signed PDFs of the reports


# --- the signed PDFs and the evidence ----------------------------------------------------------------


def pdf_part(scope: BundleScope) -> Files:
    return {f"pdf/{artifact.file_name}": _artifact_reader(artifact) for artifact in scope.artifacts}


def _artifact_reader(artifact: ReportArtifact) -> Callable[[], bytes]:
    return lambda: artifact_read(artifact)


def scope_evidence(scope: BundleScope) -> list[Evidence]:
    """Every stored file of the reports' items, every revision (the ledger names them all)."""
    return list(
        Evidence.objects.filter(item__report__in=scope.reports, kind=Evidence.Kind.FILE)
        .exclude(storage_name="")
        .exclude(sha256="")
        .order_by("sha256", "pk")
    )


def evidence_part(scope: BundleScope) -> Files:
    files: dict[str, Content] = {}
    for evidence in scope_evidence(scope):
        files.setdefault(f"evidence/{evidence.sha256}", _evidence_reader(evidence))
    return files


def _evidence_reader(evidence: Evidence) -> Callable[[], bytes]:
    def read() -> bytes:
        # No reader named: opening restricted files is recorded when the bundle is downloaded, for
        # whoever downloads it (bundles.services.bundle_downloaded), not when the job reads them.
        with evidence_open(evidence=evidence) as handle:
            return handle.read()

    return read


# --- the ledger and the log --------------------------------------------------------------------------


def scope_entries(scope: BundleScope) -> list[LedgerEntry]:
    """The reports' entries, the engagement's own (created, declared), and the attestations of the
    engagement or, for a report's bundle, of every engagement covering the report (attestations
    are recorded about no one report), that the bundle's checkpoint covers."""
    from audits.models import Attestation

    wanted = Q(report_id__in=[report.pk for report in scope.reports])
    if scope.engagement is not None:
        wanted |= Q(subject_type="audits.engagement", subject_id=str(scope.engagement.pk))
        attestations = Attestation.objects.filter(engagement=scope.engagement)
    else:
        covering = Q(pk__in=[])
        for report in scope.reports:
            covering |= Q(
                engagement__organisations=report.organisation_id, engagement__periods=report.period_id
            )
        attestations = Attestation.objects.filter(covering)
    ids = [str(pk) for pk in attestations.values_list("pk", flat=True)]
    wanted |= Q(subject_type="audits.attestation", subject_id__in=ids)
    return list(LedgerEntry.objects.filter(wanted, sequence__lte=scope.checkpoint.size).order_by("sequence"))


def payload_shown(payload: str, engagement_id: int | None) -> bool:
    """Whether the bundle's holder may read this entry's payload, not only its hashes.

    They may read the reports themselves, restricted evidence included (the gate's READ_AUDIT or
    an engagement's AUDIT). Audit work is another matter: an entry about an audit (its subject is
    an audit object, or its data names an engagement) is shown only in the bundle of that very
    engagement, but for attestations, which the public attestation page shows anyway. A withheld
    entry is still in the bundle by its hashes and proven in the log.
    """
    data = json.loads(payload)
    named = (data.get("data") or {}).get("engagement") if isinstance(data.get("data"), dict) else None
    subject = (data.get("subject") or {}).get("type", "")
    about_audit = subject.startswith("audits.") or named is not None
    if not about_audit or subject == "audits.attestation":  # attestations are public
        return True
    if engagement_id is None:
        return False
    if subject == "audits.engagement":
        return (data.get("subject") or {}).get("id") == str(engagement_id)
    return named == engagement_id


def ledger_part(scope: BundleScope) -> Files:
    """entries.jsonl: {"sequence", "event", "report", "prev_hash", "entry_hash", "payload"}, the
    payload as the exact text that was hashed (null when withheld, see `payload_shown`);
    proofs.jsonl: {"sequence", "leaf_index", "tree_size", "hashes"} (hex, leaf upwards)."""
    entries = scope_entries(scope)
    size = scope.checkpoint.size
    engagement_id = scope.engagement.pk if scope.engagement is not None else None
    proofs = (
        tree.tree_inclusion_proofs(indexes=[e.sequence - 1 for e in entries], size=size) if entries else {}
    )
    lines, proof_lines = [], []
    for entry in entries:
        lines.append(
            _line(
                {
                    "sequence": entry.sequence,
                    "event": entry.event,
                    "report": entry.report_id,
                    "prev_hash": entry.prev_hash,
                    "entry_hash": entry.entry_hash,
                    "payload": entry.payload if payload_shown(entry.payload, engagement_id) else None,
                }
            )
        )
        proof_lines.append(
            _line(
                {
                    "sequence": entry.sequence,
                    "leaf_index": entry.sequence - 1,
                    "tree_size": size,
                    "hashes": [node.hex() for node in proofs[entry.sequence - 1]],
                }
            )
        )
    return {
        "ledger/entries.jsonl": "".join(lines).encode(),
        "ledger/proofs.jsonl": "".join(proof_lines).encode(),
    }


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def tile_paths(size: int) -> list[tuple[int, int, int]]:
    """(level, index, width) of every hash tile of the tree of `size` leaves, partial ones included."""
    tiles, level = [], 0
    while (available := size >> (TILE_HEIGHT * level)) > 0:
        for index in range(-(-available // TILE_WIDTH)):
            tiles.append((level, index, min(TILE_WIDTH, available - index * TILE_WIDTH)))
        level += 1
    return tiles


def log_part(scope: BundleScope) -> Files:
    files: dict[str, Content] = {"log/checkpoint": scope.checkpoint.note.encode(), "log/key": log_key()}
    for level, index, width in tile_paths(scope.checkpoint.size):
        path = tile_path(level, index, width)
        files[f"log/{path}"] = _tile_reader(path.removeprefix("tile/"))
    for artifact in scope.artifacts:
        files[f"log/artifact/{artifact.sha256}"] = log_artifact_entry(artifact.sha256)
    return files


def _tile_reader(path: str) -> Callable[[], bytes]:
    return lambda: log_tile(path)


def root_part(scope: BundleScope) -> Files:
    return {"root.pem": signing_material().root_pem}


def oscal_part(scope: BundleScope) -> Files:
    """The OSCAL documents (reports/oscal): the framework's catalog, the published reports'
    component-definitions and the attested engagements' assessment-results — what the public
    reads; evidence appears in them by its SHA-256, which names the bundle's evidence files."""
    if scope.engagement is not None:
        documents = engagement_documents(scope.engagement)
    else:
        documents = {}
        for report in scope.reports:
            documents.update(report_documents(report))
    return {f"oscal/{name}": data for name, data in sorted(documents.items())}


# The bundle, part by part, in the order its files are written.
PARTS: tuple[Callable[[BundleScope], Files], ...] = (
    pdf_part,
    evidence_part,
    ledger_part,
    log_part,
    root_part,
    oscal_part,
)
