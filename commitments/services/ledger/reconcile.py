"""Reconciliation: do the tables still hold what the ledger recorded?

The ledger records each change as it is made; the tables hold what is now, and the public
pages, the open data and the PDFs are made from the tables. A change written straight into a
table (a published snapshot edited and its hash recomputed, a verdict changed, a PDF's hash
replaced) leaves the ledger intact, so the chain and the log checks cannot see it. This check
compares each row with the entry that recorded it, found by the entry's subject (the row's
model and primary key):

1. Publications. Each publication's snapshot, hashed (SHA-256 of the stored text), must give
   its snapshot_sha256 column, and that must be the snapshot_sha256 (and version, and report)
   recorded by its publication.created or publication.corrected entry.
2. Verdicts. Each verdict row must say what its item.verdict_recorded entry says: verdict,
   justification, reviewer, item (report and framework node) and submission. An item's verdicts
   must also come in the order the ledger recorded them, since the latest one is the verdict the
   item shows.
3. Signed PDFs. Each ready artifact's sha256, size and manifest must be those its
   artifact.rendered entry recorded, and its ledger_sequence must name that entry.
4. Audit findings. A finding is recorded again each time the auditor changes it, until the
   engagement is attested, and the organisation's response to it has entries of its own (the
   entry's "part"). Each finding row must say what the latest finding.recorded entry of its
   finding part says: kind, description, recommended and corrective action, engagement, item
   (and its report) and the auditor who recorded it; its company response must be the one the
   latest company-response entry recorded, or none if there is no such entry.
5. Attestations. Each attestation row must say what its attestation.signed entry says: opinion,
   statement, date, engagement, signer, and for a correction the attestation it corrects and why.

Each of these rows without its entry is a problem, and so is each such entry whose row is gone
(or, for a PDF, is no longer ready).

Text is compared as the ledger records it (ledger_append writes a NUL character as U+FFFD).

Cost: one pass over the entries of these events (selected by the generated `event` column) and
one over each table's rows, both in batches. A batch of rows fetches its entries through the
(subject_type, subject_id) index, a batch of entries its rows by primary key, so the work grows
with the number of entries and rows, and memory with the batch size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models

from audits.models import Attestation, Finding
from commitments.models import ItemVerdict, LedgerEntry
from commitments.services.ledger.append import without_nul
from commitments.vocabulary import FindingPart, LedgerEvent
from reports.models import ArtifactStatus, Publication, ReportArtifact

T = TypeVar("T")

# Rows hold snapshots and manifests of some tens of kilobytes: a batch stays a few megabytes.
BATCH_SIZE = 200
# An auditor needs the first few problems, and their number; a table rewritten wholesale
# should not print a million lines.
PROBLEMS_SHOWN = 10

PUBLICATION_EVENTS = (LedgerEvent.PUBLICATION_CREATED, LedgerEvent.PUBLICATION_CORRECTED)
VERDICT_EVENTS = (LedgerEvent.ITEM_VERDICT_RECORDED,)
ARTIFACT_EVENTS = (LedgerEvent.ARTIFACT_RENDERED,)
FINDING_EVENTS = (LedgerEvent.FINDING_RECORDED,)
ATTESTATION_EVENTS = (LedgerEvent.ATTESTATION_SIGNED,)


@dataclass
class Reconciliation:
    publications: int = 0
    verdicts: int = 0
    artifacts: int = 0
    findings: int = 0
    attestations: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(problem)


@dataclass(frozen=True)
class Recorded:
    """One ledger entry about a row: where it is and the data it recorded."""

    sequence: int
    actor_id: int | None
    report_id: int | None
    data: dict[str, Any]


def ledger_reconcile(*, batch_size: int = BATCH_SIZE) -> Reconciliation:
    found = Reconciliation()
    _publications(found, batch_size)
    _verdicts(found, batch_size)
    _artifacts(found, batch_size)
    _findings(found, batch_size)
    _attestations(found, batch_size)
    _entries_without_rows(found, batch_size * 10)
    return found


# --- publications ----------------------------------------------------------------------------


def _publications(found: Reconciliation, batch_size: int) -> None:
    rows = Publication.objects.select_related("report__organisation", "report__period").order_by("pk")
    for batch in _batches(rows.iterator(chunk_size=batch_size), batch_size):
        recorded = _recorded(Publication, PUBLICATION_EVENTS, batch)
        for publication in batch:
            found.publications += 1
            name = (
                f"Publication {publication.pk} ({publication.report.organisation.name}, "
                f"{publication.report.period.label}, version {publication.version})"
            )
            actual = hashlib.sha256(publication.snapshot.encode("utf-8")).hexdigest()
            column = publication.snapshot_sha256
            entries = recorded.get(publication.pk, [])
            if not entries:
                found.add(
                    f"{name}: the ledger has no {' or '.join(PUBLICATION_EVENTS)} entry for it: it was "
                    "not published through the platform."
                )
                if actual != column:
                    found.add(
                        f"{name}: its snapshot hashes to {actual}, its snapshot_sha256 column says {column}."
                    )
            for entry in entries:
                at = f"at entry {entry.sequence:,}"
                said = entry.data.get("snapshot_sha256")
                if actual != said:
                    recomputed = " and its hash recomputed" if column == actual else ""
                    found.add(
                        f"{name}: its snapshot hashes to {actual}, the ledger recorded {said} {at}: the "
                        f"snapshot was edited after it was published{recomputed}."
                    )
                elif column != actual:
                    found.add(
                        f"{name}: its snapshot_sha256 column says {column}, but the snapshot hashes to "
                        f"{actual}, as the ledger recorded {at}: the column was edited."
                    )
                if (
                    entry.data.get("version") != publication.version
                    or entry.report_id != publication.report_id
                ):
                    found.add(
                        f"{name}: the ledger recorded version {entry.data.get('version')} of report "
                        f"{entry.report_id} {at}: the row was moved to another report or version."
                    )


# --- verdicts --------------------------------------------------------------------------------


def _verdicts(found: Reconciliation, batch_size: int) -> None:
    # In the order ItemResponse.current_verdict reads them, so that the ledger's order can be compared.
    rows = ItemVerdict.objects.select_related(
        "item__node", "item__report__organisation", "item__report__period"
    ).order_by("item_id", "report_revision", "created_at", "pk")
    previous: tuple[tuple[int, int], ItemVerdict, int] | None = None
    for batch in _batches(rows.iterator(chunk_size=batch_size), batch_size):
        recorded = _recorded(ItemVerdict, VERDICT_EVENTS, batch)
        for verdict in batch:
            found.verdicts += 1
            report = verdict.item.report
            name = (
                f"Verdict {verdict.pk} ({report.organisation.name}, {report.period.label}, item "
                f"{verdict.item.node.node_id})"
            )
            entries = recorded.get(verdict.pk, [])
            if not entries:
                found.add(
                    f"{name}: the ledger has no {VERDICT_EVENTS[0]} entry for it: it was not recorded "
                    "through the platform."
                )
                continue
            for entry in entries:
                differences = _differences(
                    [
                        ("verdict", verdict.verdict, entry.data.get("verdict")),
                        ("justification", verdict.justification, entry.data.get("justification")),
                        ("submission", verdict.report_revision, entry.data.get("revision")),
                        ("item", verdict.item.node.node_id, entry.data.get("node")),
                        ("report", report.pk, entry.report_id),
                        ("reviewer", verdict.reviewer_id, entry.actor_id),
                    ]
                )
                if differences:
                    found.add(
                        f"{name}: the table says {differences} (entry {entry.sequence:,}): the verdict was "
                        "changed after it was recorded."
                    )
            group, sequence = (verdict.item_id, verdict.report_revision), entries[0].sequence
            if previous is not None and previous[0] == group and previous[2] > sequence:
                found.add(
                    f"{name}: the table orders it after verdict {previous[1].pk} of the same item and "
                    f"submission, but the ledger recorded it first (entry {sequence:,}, verdict "
                    f"{previous[1].pk} at entry {previous[2]:,}): the verdict the item shows as current is "
                    "not the one recorded last."
                )
            previous = (group, verdict, sequence)


def _differences(fields: list[tuple[str, Any, Any]]) -> str:
    """'verdict 'x' where the ledger recorded 'y'; ...' for the fields that differ."""
    return "; ".join(
        f"{label} {_short(table)} where the ledger recorded {_short(ledger)}"
        for label, table, ledger in fields
        if without_nul(table) != ledger
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


# --- signed PDFs -----------------------------------------------------------------------------


def _artifacts(found: Reconciliation, batch_size: int) -> None:
    rows = ReportArtifact.objects.ready().select_related("report__period", "period__framework").order_by("pk")
    for batch in _batches(rows.iterator(chunk_size=batch_size), batch_size):
        recorded = _recorded(ReportArtifact, ARTIFACT_EVENTS, batch)
        for artifact in batch:
            found.artifacts += 1
            name = f"PDF {artifact.document_id} (artifact {artifact.pk})"
            entries = recorded.get(artifact.pk, [])
            if not entries:
                found.add(
                    f"{name}: it is ready, but the ledger has no {ARTIFACT_EVENTS[0]} entry for it: it was "
                    "not issued through the platform."
                )
                continue
            if artifact.ledger_sequence not in {entry.sequence for entry in entries}:
                found.add(
                    f"{name}: its ledger_sequence says entry {artifact.ledger_sequence}, but the ledger "
                    f"recorded it at entry {entries[0].sequence:,}."
                )
            manifest = hashlib.sha256(artifact.manifest.encode("utf-8")).hexdigest()
            for entry in entries:
                at = f"at entry {entry.sequence:,}"
                if artifact.sha256 != entry.data.get("sha256"):
                    found.add(
                        f"{name}: its sha256 column says {artifact.sha256}, the ledger recorded "
                        f"{entry.data.get('sha256')} {at}: the PDF it points to is not the one issued."
                    )
                if artifact.size_bytes != entry.data.get("size_bytes"):
                    found.add(
                        f"{name}: its size_bytes column says {artifact.size_bytes}, the ledger recorded "
                        f"{entry.data.get('size_bytes')} {at}."
                    )
                if manifest != entry.data.get("manifest_sha256"):
                    found.add(
                        f"{name}: its manifest hashes to {manifest}, the ledger recorded "
                        f"{entry.data.get('manifest_sha256')} {at}: the manifest was edited."
                    )


# --- audit findings --------------------------------------------------------------------------


def _findings(found: Reconciliation, batch_size: int) -> None:
    rows = Finding.objects.select_related(
        "item__node", "item__report__organisation", "item__report__period"
    ).order_by("pk")
    for batch in _batches(rows.iterator(chunk_size=batch_size), batch_size):
        recorded = _recorded(Finding, FINDING_EVENTS, batch)
        for finding in batch:
            found.findings += 1
            report = finding.item.report
            name = (
                f"Finding {finding.pk} (engagement {finding.engagement_id}, {report.organisation.name}, "
                f"{report.period.label}, item {finding.item.node.node_id})"
            )
            entries = recorded.get(finding.pk, [])
            # Only the latest of each part counts: a finding is recorded again as the auditor revises it.
            parts = {entry.data.get("part"): entry for entry in entries}
            latest = parts.get(FindingPart.FINDING)
            if latest is None:
                found.add(
                    f"{name}: the ledger has no {FINDING_EVENTS[0]} entry for it: it was not recorded "
                    "through the platform."
                )
                continue
            data = latest.data
            differences = _differences(
                [
                    ("kind", finding.kind, data.get("kind")),
                    ("description", finding.description, data.get("description")),
                    ("recommended action", finding.recommended_action, data.get("recommended_action")),
                    ("corrective action", finding.corrective_action, data.get("corrective_action")),
                    ("engagement", finding.engagement_id, data.get("engagement")),
                    ("item", finding.item_id, data.get("item")),
                    ("report", report.pk, latest.report_id),
                    ("auditor", finding.recorded_by_id, latest.actor_id),
                ]
            )
            if differences:
                found.add(
                    f"{name}: the table says {differences} (entry {latest.sequence:,}): the finding was "
                    "changed after it was recorded."
                )
            response = parts.get(FindingPart.COMPANY_RESPONSE)
            said = response.data.get("company_response") if response is not None else ""
            if without_nul(finding.company_response) != said:
                at = f"at entry {response.sequence:,}" if response is not None else "none"
                found.add(
                    f"{name}: its company response is {_short(finding.company_response)}, the ledger "
                    f"recorded {_short(said)} {at}: the response was changed after it was recorded."
                )


# --- attestations ----------------------------------------------------------------------------


def _attestations(found: Reconciliation, batch_size: int) -> None:
    rows = Attestation.objects.select_related("engagement").order_by("pk")
    for batch in _batches(rows.iterator(chunk_size=batch_size), batch_size):
        recorded = _recorded(Attestation, ATTESTATION_EVENTS, batch)
        for attestation in batch:
            found.attestations += 1
            name = (
                f"Attestation {attestation.pk} (engagement {attestation.engagement_id}, "
                f"{_short(attestation.engagement.title)})"
            )
            entries = recorded.get(attestation.pk, [])
            if not entries:
                found.add(
                    f"{name}: the ledger has no {ATTESTATION_EVENTS[0]} entry for it: it was not signed "
                    "through the platform."
                )
                continue
            for entry in entries:
                differences = _differences(
                    [
                        ("opinion", attestation.opinion, entry.data.get("opinion")),
                        ("statement", attestation.statement, entry.data.get("statement")),
                        ("date", attestation.attested_on.isoformat(), entry.data.get("attested_on")),
                        ("engagement", attestation.engagement_id, entry.data.get("engagement")),
                        ("signer", attestation.signed_by_id, entry.actor_id),
                        # A first attestation's entry names none: it corrects nothing.
                        ("corrects", attestation.corrects_id, entry.data.get("corrects")),
                        ("correction reason", attestation.correction_reason, entry.data.get("reason", "")),
                    ]
                )
                if differences:
                    found.add(
                        f"{name}: the table says {differences} (entry {entry.sequence:,}): the attestation "
                        "was changed after it was signed."
                    )


# --- entries whose row is gone ---------------------------------------------------------------


# The rows each event records, and what such a row must still be for it.
_RECORDS: dict[str, tuple[type[models.Model], models.Q]] = {
    **{event: (Publication, models.Q()) for event in PUBLICATION_EVENTS},
    **{event: (ItemVerdict, models.Q()) for event in VERDICT_EVENTS},
    **{event: (ReportArtifact, models.Q(status=ArtifactStatus.READY)) for event in ARTIFACT_EVENTS},
    **{event: (Finding, models.Q()) for event in FINDING_EVENTS},
    **{event: (Attestation, models.Q()) for event in ATTESTATION_EVENTS},
}


def _entries_without_rows(found: Reconciliation, batch_size: int) -> None:
    entries = (
        LedgerEntry.objects.filter(event__in=list(_RECORDS))
        .order_by("sequence")
        .values_list("sequence", "event", "subject_type", "subject_id")
        .iterator(chunk_size=batch_size)
    )
    # A finding has several entries (revisions, the company's response): a row gone is one problem,
    # named at its first entry. The set holds only rows found missing, so it stays small.
    missing: set[tuple[str, int]] = set()
    for batch in _batches(entries, batch_size):
        by_event: dict[str, list[tuple[int, int]]] = {}
        for sequence, event, subject_type, subject_id in batch:
            model = _RECORDS[event][0]
            if subject_type == model._meta.label_lower and subject_id.isascii() and subject_id.isdigit():
                by_event.setdefault(event, []).append((sequence, int(subject_id)))
            else:
                found.add(
                    f"Entry {sequence:,} ({event}) names {subject_type} {subject_id!r}, "
                    f"not a {model._meta.verbose_name}."
                )
        for event, recorded in by_event.items():
            model, present = _RECORDS[event]
            kept = set(
                model.objects.filter(present, pk__in=[pk for _, pk in recorded]).values_list("pk", flat=True)
            )
            for sequence, pk in recorded:
                if pk not in kept and (event, pk) not in missing:
                    missing.add((event, pk))
                    ready = ", or not as ready" if event in ARTIFACT_EVENTS else ""
                    found.add(
                        f"Entry {sequence:,} ({event}) records {model._meta.verbose_name} {pk}, which its "
                        f"table no longer holds{ready}: the row was deleted or changed after it was recorded."
                    )


# --- helpers ---------------------------------------------------------------------------------


def _recorded(model: type[models.Model], events: Iterable[str], rows: list) -> dict[int, list[Recorded]]:
    """The entries of `events` about each of `rows`, by the row's primary key, in ledger order."""
    entries = (
        LedgerEntry.objects.filter(
            subject_type=model._meta.label_lower,
            subject_id__in=[str(row.pk) for row in rows],
            event__in=list(events),
        )
        .order_by("sequence")
        .values_list("sequence", "subject_id", "actor_id", "report_id", "payload")
    )
    recorded: dict[int, list[Recorded]] = {}
    for sequence, subject_id, actor_id, report_id, payload in entries:
        recorded.setdefault(int(subject_id), []).append(
            Recorded(sequence, actor_id, report_id, _data(payload))
        )
    return recorded


def _data(payload: str) -> dict[str, Any]:
    """The entry's data; {} if the payload is not what ledger_append writes (the chain check says why)."""
    try:
        data = json.loads(payload).get("data")
    except (ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
