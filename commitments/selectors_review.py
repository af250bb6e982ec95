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
    Comment,
    CompanyResponse,
    Evidence,
    ItemResponse,
    ItemVerdict,
    LedgerEntry,
    MetricDefinition,
    ProgressReport,
    ReportStatus,
)

QUEUE_STATES = (ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW)


def review_queue(*, user: User) -> QuerySet[ProgressReport]:
    """Submitted and in-review reports, oldest submission first.

    Only reports the user may review (access.reports_where): those of organisations a reviewer
    belongs to are left out, by the same rule the review services enforce.
    """
    return (
        ProgressReport.objects.filter(status__in=QUEUE_STATES)
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
        .prefetch_related(
            "node__metrics",
            "metric_values__metric",
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("superseded_by").order_by("created_at", "pk"),
            ),
            Prefetch(
                "verdicts",
                queryset=ItemVerdict.objects.select_related("reviewer").order_by("created_at", "pk"),
            ),
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


def _status_label(value: str) -> str:
    from commitments.models import ImplementationStatus

    return ImplementationStatus(value).label if value in ImplementationStatus.values else value


def report_resubmission_changes(*, report: ProgressReport) -> Resubmission | None:
    """Per item, what changed between the previous submission and the latest one.

    Derived from the ledger: the item.updated and evidence entries between the last two
    report.submitted entries, with the earlier values replayed from the entries before them.
    Returns None when the report has not been submitted at least twice.
    """
    entries = list(LedgerEntry.objects.filter(report_id=report.pk).order_by("sequence"))
    submissions = [e for e in entries if e.event == "report.submitted"]
    if len(submissions) < 2:
        return None
    metric_names = dict(
        MetricDefinition.objects.filter(node__framework_id=report.period.framework_id).values_list(
            "key", "name"
        )
    )
    previous, latest = submissions[-2], submissions[-1]

    # Without carry-forward every item starts blank, so fields never edited before were "".
    created = next((e for e in entries if e.event == "report.created"), None)
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
    requested_items: list[str] = []
    request_message = requested_by = ""

    def before(node: str, key: str) -> str | None:
        return known.get(node, {}).get(key, None if carried else "")

    for entry in entries:
        if entry.sequence >= latest.sequence:
            break
        payload = _payload(entry)
        data = payload.get("data", {})
        node = data.get("node", "")
        in_window = entry.sequence > previous.sequence
        if entry.event == "report.changes_requested" and in_window:
            requested_items = list(data.get("items", []))
            request_message = data.get("message", "")
            requested_by = payload.get("actor_email") or ""
        if entry.event == "item.updated":
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
        elif entry.event in ("evidence.added", "evidence.revised") and in_window:
            changes = items.setdefault(node, ItemChanges(node_id=node))
            verb = "Added" if entry.event == "evidence.added" else "Revised"
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
    return Resubmission(
        previous_revision=_payload(previous).get("data", {}).get("revision", 0),
        revision=_payload(latest).get("data", {}).get("revision", report.revision),
        requested_items=requested_items,
        request_message=request_message,
        requested_by=requested_by,
        items=items,
    )


# --- history --------------------------------------------------------------------------------

EVENT_LABELS = {
    "report.created": "Report opened",
    "item.updated": "Item edited",
    "evidence.added": "Evidence added",
    "evidence.revised": "Evidence revised",
    "report.submitted": "Report submitted",
    "report.review_started": "Review started",
    "item.verdict_recorded": "Verdict recorded",
    "report.changes_requested": "Changes requested",
    "report.verified": "Report verified",
    "item.company_response_added": "Company response added",
    "report.published": "Report published",
    "publication.created": "Publication snapshot stored",
}


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


def _summary(event: str, data: dict[str, Any]) -> str:
    if event == "report.created":
        parts = [f"{len(data.get('items', []))} items", f"framework {data.get('framework', '')}"]
        if data.get("carried_forward_from"):
            parts.append(f"answers carried forward from report {data['carried_forward_from']}")
        return ", ".join(parts)
    if event == "item.updated":
        names = [FIELD_LABELS.get(n, n).lower() for n in (data.get("changes") or {})]
        names += [f"metric {k}" for k in (data.get("metrics") or {})]
        status = (data.get("changes") or {}).get("status")
        text = "Changed " + ", ".join(names) if names else "Saved"
        if status:
            text += f" (status now {_status_label(status).lower()})"
        return text
    if event in ("evidence.added", "evidence.revised"):
        sha = (data.get("sha256") or "")[:12]
        text = f"“{data.get('title', '')}”, {data.get('visibility', '')}"
        return text + (f", sha256 {sha}…" if sha else "")
    if event == "report.submitted":
        return f"Revision {data.get('revision')}, content sha256 {(data.get('content_sha256') or '')[:12]}…"
    if event == "report.review_started":
        return f"Reviewer {data.get('reviewer', '')}"
    if event == "item.verdict_recorded":
        verdict = str(data.get("verdict", "")).replace("_", " ").capitalize()
        return f"{verdict}: {_clip(data.get('justification', ''))}"
    if event == "report.changes_requested":
        text = f"On {len(data.get('items', []))} item(s): {', '.join(data.get('items', []))}"
        return text + (f". “{_clip(data['message'])}”" if data.get("message") else "")
    if event == "item.company_response_added":
        return _clip(data.get("body", ""))
    if event == "publication.created":
        return f"Version {data.get('version')}, snapshot sha256 {(data.get('snapshot_sha256') or '')[:12]}…"
    if "from" in data and "to" in data:
        return f"{str(data['from']).replace('_', ' ')} → {str(data['to']).replace('_', ' ')}"
    return ""


def report_history(*, report: ProgressReport) -> list[HistoryRow]:
    """The report's ledger entries in order, in words a person reads."""
    titles = dict(ItemResponse.objects.filter(report=report).values_list("node__node_id", "node__title"))
    rows = []
    for entry in LedgerEntry.objects.filter(report_id=report.pk).order_by("sequence"):
        payload = _payload(entry)
        data = payload.get("data") or {}
        time = parse_datetime(payload["time"]) if payload.get("time") else entry.created_at
        rows.append(
            HistoryRow(
                sequence=entry.sequence,
                time=time,
                actor=payload.get("actor_email") or "system",
                event=entry.event,
                label=EVENT_LABELS.get(
                    entry.event, entry.event.replace(".", " ").replace("_", " ").capitalize()
                ),
                node=data.get("node", "") if isinstance(data, dict) else "",
                node_title=titles.get(data.get("node", ""), "") if isinstance(data, dict) else "",
                summary=_summary(entry.event, data) if isinstance(data, dict) else "",
                entry_hash=entry.entry_hash,
            )
        )
    return rows


@dataclass(frozen=True)
class ChangeRequest:
    message: str
    node_ids: frozenset[str]
    requested_by: str
    requested_at: datetime | None


def report_change_request(*, report: ProgressReport) -> ChangeRequest | None:
    """The reviewer's latest "request changes" on this report, from the ledger."""
    entry = (
        LedgerEntry.objects.filter(report_id=report.pk, event="report.changes_requested")
        .order_by("-sequence")
        .first()
    )
    if entry is None:
        return None
    payload = _payload(entry)
    data = payload.get("data", {})
    return ChangeRequest(
        message=data.get("message", ""),
        node_ids=frozenset(data.get("items", [])),
        requested_by=payload.get("actor_email") or "",
        requested_at=entry.created_at,
    )


def report_current_verdicts(*, report: ProgressReport) -> dict[int, ItemVerdict]:
    """Each item's latest verdict for the report's current submission, by item id."""
    verdicts = ItemVerdict.objects.filter(
        item__report=report, report_revision=report.revision
    ).select_related("reviewer")
    return {verdict.item_id: verdict for verdict in verdicts.order_by("created_at", "pk")}
