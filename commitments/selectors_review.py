"""Reads for reviewers: the queue, a report laid out for review, what changed, and its history."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.dateparse import parse_datetime

from accounts.models import User
from commitments import access
from commitments.models import (
    ChangeRequest,
    Comment,
    CompanyResponse,
    Evidence,
    ItemResponse,
    LedgerEntry,
    MetricDefinition,
    ProgressReport,
)
from commitments.vocabulary import (
    UNDER_REVIEW,
    ImplementationStatus,
    LedgerEvent,
    ReportStatus,
    Verdict,
    event_label,
)


def review_queue(*, user: User) -> QuerySet[ProgressReport]:
    """Submitted and in-review reports, oldest submission first.

    Only reports the user may review (access.reports_where): those of organisations a reviewer
    belongs to are left out, by the same rule the review services enforce.
    """
    return (
        ProgressReport.objects.filter(status__in=UNDER_REVIEW)
        .filter(access.reports_where(user, access.Action.REVIEW))
        .select_related("organisation", "period__framework", "reviewer")
        .order_by("submitted_at", "pk")
    )


def reports_for_review() -> QuerySet[ProgressReport]:
    """Reports with what the review page's header needs (the access gate picks one from these)."""
    return ProgressReport.objects.select_related("organisation", "period__framework", "reviewer")


def report_items_for_review(
    *, report: ProgressReport, item_ids: list[int] | None = None
) -> list[ItemResponse]:
    """Items with everything the review page shows, in framework order, in a fixed number of queries."""
    items = (
        ItemResponse.objects.filter(report=report)
        .select_related("node__parent")
        .with_verdicts()
        .prefetch_related(
            "node__metrics",
            "metric_values__metric",
            Prefetch("evidence", queryset=Evidence.objects.current().order_by("created_at", "pk")),
            Prefetch(
                "comments", queryset=Comment.objects.select_related("author").order_by("created_at", "pk")
            ),
            Prefetch(
                "company_responses",
                queryset=CompanyResponse.objects.select_related("author").order_by("created_at", "pk"),
            ),
        )
        .order_by("node__position")
    )
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    result = list(items)
    for item in result:
        item.report = report
    return result


def _payload(entry: LedgerEntry) -> dict[str, Any]:
    try:
        return json.loads(entry.payload)
    except ValueError:
        return {}


# --- what changed since the reviewed submission ---------------------------------------------


@dataclass
class FieldChange:
    field: str
    label: str
    old: str | None  # None: the earlier value is not in the ledger (e.g. carried forward)
    new: str


@dataclass
class ItemChanges:
    node_id: str
    fields: list[FieldChange] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.evidence)


@dataclass
class Resubmission:
    """What the reviewer needs on a resubmitted report: their request and every item's changes."""

    previous_revision: int
    revision: int
    requested_items: list[str]
    request_message: str
    requested_by: str
    items: dict[str, ItemChanges]

    @property
    def changed_count(self) -> int:
        return sum(1 for changes in self.items.values() if not changes.is_empty)


FIELD_LABELS = {
    "status": "Implementation status",
    "narrative": "Narrative",
    "areas_needing_progress": "Areas needing progress",
}


def report_resubmission_changes(*, report: ProgressReport) -> Resubmission | None:
    """Per item, what changed between the previous submission and the latest one.

    Derived from the ledger: the item.updated and evidence entries between the last two
    report.submitted entries, with the earlier values replayed from the entries before them (no
    table keeps earlier values). The reviewer's request is the previous submission's change request.
    Returns None when the report has not been submitted at least twice.
    """
    entries = list(LedgerEntry.objects.of_report(report.pk))
    submissions = [e for e in entries if e.event == LedgerEvent.REPORT_SUBMITTED]
    if len(submissions) < 2:
        return None
    metric_names = dict(
        MetricDefinition.objects.filter(node__framework_id=report.period.framework_id).values_list(
            "key", "name"
        )
    )
    previous, latest = submissions[-2], submissions[-1]

    # Without carry-forward every item starts blank, so fields never edited before were "".
    created = next((e for e in entries if e.event == LedgerEvent.REPORT_CREATED), None)
    created_data = _payload(created).get("data", {}) if created else {}
    known: dict[str, dict[str, str | None]] = {}
    for carried_node, values in (created_data.get("carried_items") or {}).items():
        baseline = known.setdefault(carried_node, {})
        for name in FIELD_LABELS:
            baseline[name] = values.get(name, "")
        for key, metric in (values.get("metrics") or {}).items():
            baseline[f"metric:{key}"] = metric.get("value") or ""
            baseline[f"source:{key}"] = metric.get("data_source") or ""
    # Older entries name only the source report, not what was carried: those starting values are unknown.
    carried = bool(created_data.get("carried_forward_from")) and "carried_items" not in created_data
    items: dict[str, ItemChanges] = {}

    def before(node: str, key: str) -> str | None:
        return known.get(node, {}).get(key, None if carried else "")

    for entry in entries:
        if entry.sequence >= latest.sequence:
            break
        payload = _payload(entry)
        data = payload.get("data", {})
        node = data.get("node", "")
        in_window = entry.sequence > previous.sequence
        if entry.event == LedgerEvent.ITEM_UPDATED:
            state = known.setdefault(node, {})
            updates: dict[str, tuple[str, str]] = {}
            for name, value in (data.get("changes") or {}).items():
                updates[name] = (FIELD_LABELS.get(name, name.replace("_", " ").capitalize()), value or "")
            for key, metric in (data.get("metrics") or {}).items():
                value = metric.get("value")
                name = metric_names.get(key, key)
                updates[f"metric:{key}"] = (f"“{name}” value", "" if value is None else str(value))
                updates[f"source:{key}"] = (f"“{name}” data source", metric.get("data_source") or "")
            if in_window:
                changes = items.setdefault(node, ItemChanges(node_id=node))
                for name, (label, new) in updates.items():
                    old = before(node, name)
                    existing = next((c for c in changes.fields if c.field == name), None)
                    if existing is None:
                        if old != new:
                            changes.fields.append(FieldChange(name, label, old, new))
                    else:
                        existing.new = new
                email = payload.get("actor_email")
                if email and email not in changes.editors:
                    changes.editors.append(email)
                # The baseline stays at the previous submission's values; no state update in-window.
                continue
            for name, (_label, new) in updates.items():
                state[name] = new
        elif entry.event in (LedgerEvent.EVIDENCE_ADDED, LedgerEvent.EVIDENCE_REVISED) and in_window:
            changes = items.setdefault(node, ItemChanges(node_id=node))
            verb = "Added" if entry.event == LedgerEvent.EVIDENCE_ADDED else "Revised"
            visibility = data.get("visibility", "")
            sha = (data.get("sha256") or "")[:12]
            text = f"{verb} evidence “{data.get('title', '')}” ({visibility}"
            changes.evidence.append(text + (f", sha256 {sha}…)" if sha else ")"))

    order = [*FIELD_LABELS, "metric:", "source:"]

    def position(change: FieldChange) -> tuple[int, str]:
        return next(i for i, key in enumerate(order) if change.field.startswith(key)), change.field

    for changes in items.values():
        # Drop fields that were edited and then set back to what the reviewer saw.
        changes.fields = sorted((c for c in changes.fields if c.old != c.new), key=position)
        for change in changes.fields:
            if change.field == "status":
                change.old = _status_label(change.old) if change.old else change.old
                change.new = _status_label(change.new)
    previous_revision = _payload(previous).get("data", {}).get("revision", 0)
    request = report_change_request(report=report, revision=previous_revision)
    return Resubmission(
        previous_revision=previous_revision,
        revision=_payload(latest).get("data", {}).get("revision", report.revision),
        requested_items=request.node_ids if request else [],
        request_message=request.message if request else "",
        requested_by=request.requested_by.email if request else "",
        items=items,
    )


def _status_label(value: str) -> str:
    return ImplementationStatus.label_of(value, value)


# --- history --------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    sequence: int
    time: datetime | None
    actor: str
    event: str
    label: str
    node: str
    node_title: str
    summary: str
    entry_hash: str


def _clip(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _state_words(value: Any) -> str:
    text = str(value)
    return ReportStatus.label_of(text, text.replace("_", " ")).lower()


def _summary(event: str, data: dict[str, Any]) -> str:
    if event == LedgerEvent.REPORT_CREATED:
        parts = [f"{len(data.get('items', []))} items", f"framework {data.get('framework', '')}"]
        if data.get("carried_forward_from"):
            parts.append(f"answers carried forward from report {data['carried_forward_from']}")
        return ", ".join(parts)
    if event == LedgerEvent.ITEM_UPDATED:
        names = [FIELD_LABELS.get(n, n).lower() for n in (data.get("changes") or {})]
        names += [f"metric {k}" for k in (data.get("metrics") or {})]
        status = (data.get("changes") or {}).get("status")
        text = "Changed " + ", ".join(names) if names else "Saved"
        if status:
            text += f" (status now {_status_label(status).lower()})"
        return text
    if event in (LedgerEvent.EVIDENCE_ADDED, LedgerEvent.EVIDENCE_REVISED):
        sha = (data.get("sha256") or "")[:12]
        text = f"“{data.get('title', '')}”, {data.get('visibility', '')}"
        return text + (f", sha256 {sha}…" if sha else "")
    if event == LedgerEvent.REPORT_SUBMITTED:
        return f"Revision {data.get('revision')}, content sha256 {(data.get('content_sha256') or '')[:12]}…"
    if event == LedgerEvent.REPORT_REVIEW_STARTED:
        return f"Reviewer {data.get('reviewer', '')}"
    if event == LedgerEvent.ITEM_VERDICT_RECORDED:
        verdict = str(data.get("verdict", ""))
        verdict = Verdict.label_of(verdict, verdict.replace("_", " ").capitalize())
        return f"{verdict}: {_clip(data.get('justification', ''))}"
    if event == LedgerEvent.REPORT_CHANGES_REQUESTED:
        text = f"On {len(data.get('items', []))} item(s): {', '.join(data.get('items', []))}"
        return text + (f". “{_clip(data['message'])}”" if data.get("message") else "")
    if event == LedgerEvent.ITEM_COMPANY_RESPONSE_ADDED:
        return _clip(data.get("body", ""))
    if event == LedgerEvent.FINDING_FOLLOWED_UP:
        return f"Of the {data.get('audited_period', '')} audit: {_clip(data.get('follow_up', ''))}"
    if event == LedgerEvent.PUBLICATION_CREATED:
        return f"Version {data.get('version')}, snapshot sha256 {(data.get('snapshot_sha256') or '')[:12]}…"
    if "from" in data and "to" in data:
        return f"{_state_words(data['from'])} → {_state_words(data['to'])}"
    return ""


def report_history(*, report: ProgressReport) -> list[HistoryRow]:
    """The report's ledger entries in order, in words a person reads."""
    titles = dict(ItemResponse.objects.filter(report=report).values_list("node__node_id", "node__title"))
    rows = []
    for entry in LedgerEntry.objects.of_report(report.pk):
        payload = _payload(entry)
        data = payload.get("data") or {}
        time = parse_datetime(payload["time"]) if payload.get("time") else entry.created_at
        rows.append(
            HistoryRow(
                sequence=entry.sequence,
                time=time,
                actor=payload.get("actor_email") or "system",
                event=entry.event,
                label=event_label(entry.event),
                node=data.get("node", "") if isinstance(data, dict) else "",
                node_title=titles.get(data.get("node", ""), "") if isinstance(data, dict) else "",
                summary=_summary(entry.event, data) if isinstance(data, dict) else "",
                entry_hash=entry.entry_hash,
            )
        )
    return rows


def report_change_request(*, report: ProgressReport, revision: int | None = None) -> ChangeRequest | None:
    """The reviewer's request for changes to the given submission (by default the latest request)."""
    requests = ChangeRequest.objects.filter(report=report).select_related("requested_by")
    if revision is not None:
        requests = requests.filter(revision=revision)
    items = Prefetch("items", queryset=ItemResponse.objects.select_related("node"))
    return requests.prefetch_related(items).order_by("-revision").first()
