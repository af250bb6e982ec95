"""The audit report's template context: the live report with everything the public never sees.

Restricted evidence with its real title, every verdict of every submission with its
justification and reviewer, the review comment threads, the company's responses with their
authors, the report's publications, the findings and attestation of any independent audit whose
scope holds the report, and its ledger entries with their hashes. A fixed number of queries
whatever the number of items, evidence entries, comments or findings.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from accounts.models import User
from audits.selectors import report_engagements
from commitments.models import (
    Comment,
    CompanyResponse,
    Evidence,
    ItemResponse,
    LedgerEntry,
    MetricValue,
    ProgressReport,
)
from commitments.vocabulary import event_label, verdict_label
from reports.models import Publication
from reports.pdf.common import group_views, reading_guide
from reports.pdf.public import principle_chart
from reports.public.summaries import Summary
from reports.selectors import item_statement


def _evidence_row(entry: Evidence) -> dict[str, Any]:
    """An evidence entry in the snapshot's shape, with its real title whatever its visibility."""
    return {
        "id": entry.pk,
        "visibility": entry.visibility,
        "kind": entry.kind,
        "title": entry.title,
        "url": entry.url,
        "effective_date": entry.effective_date.isoformat(),
        "sha256": entry.sha256,
        "size_bytes": entry.size_bytes,
        "media_type": entry.media_type,
        "revision": entry.revision,
        "original_name": entry.original_name,
        "added_by": str(entry.created_by),
        "added_at": entry.created_at,
        "supersedes_id": entry.supersedes_id,
    }


def _report(report: ProgressReport) -> ProgressReport:
    return (
        ProgressReport.objects.select_related("organisation", "period__framework", "reviewer", "created_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ItemResponse.objects.select_related("node", "updated_by")
                .with_verdicts()
                .order_by("node__position"),
            ),
            Prefetch(
                "items__metric_values",
                queryset=MetricValue.objects.select_related("metric").order_by("metric__position", "pk"),
            ),
            Prefetch(
                "items__evidence", queryset=Evidence.objects.select_related("created_by", "superseded_by")
            ),
            Prefetch("items__comments", queryset=Comment.objects.select_related("author")),
            Prefetch("items__company_responses", queryset=CompanyResponse.objects.select_related("author")),
        )
        .get(pk=report.pk)
    )


def _item(item: ItemResponse) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the item in the manifest's shape, the audit-only details printed beside it)."""
    verdicts = list(item.verdicts.all())
    latest = item.current_verdict
    evidence = list(item.evidence.all())
    responses = list(item.company_responses.all())
    row = item_statement(
        item,
        verdict=latest,
        # Only the current revision of each piece of evidence is part of what the report states.
        evidence=[_evidence_row(e) for e in evidence if e.is_current],
        company_responses=[r.body for r in responses],
    )
    extra = {
        "superseded_evidence": [_evidence_row(e) for e in evidence if not e.is_current],
        "verdicts": [
            {
                "revision": v.report_revision,
                "verdict": v.verdict,
                "label": verdict_label(v.verdict),
                "justification": v.justification,
                "reviewer": str(v.reviewer),
                "created_at": v.created_at,
                "current": latest is not None and v.pk == latest.pk,
            }
            for v in verdicts
        ],
        "comments": [
            {"author": str(c.author), "created_at": c.created_at, "body": c.body} for c in item.comments.all()
        ],
        "responses": [
            {"author": str(r.author), "created_at": r.created_at, "body": r.body} for r in responses
        ],
        "carried_forward": item.carried_forward,
        "updated_by": str(item.updated_by) if item.updated_by else "",
        "updated_at": item.updated_at,
    }
    return row, extra


def _ledger(report: ProgressReport) -> list[dict[str, Any]]:
    entries = list(LedgerEntry.objects.of_report(report.pk))
    actors = {u.pk: str(u) for u in User.objects.filter(pk__in={e.actor_id for e in entries if e.actor_id})}
    return [
        {
            "sequence": e.sequence,
            "created_at": e.created_at,
            "event": e.event,
            "label": event_label(e.event),
            "actor": actors.get(e.actor_id, f"user #{e.actor_id}") if e.actor_id else "system",
            "subject": f"{e.subject_type.rsplit('.', 1)[-1]} {e.subject_id}",
            "entry_hash": e.entry_hash,
            "prev_hash": e.prev_hash,
        }
        for e in entries
    ]


def audit_report_context(report: ProgressReport) -> dict[str, Any]:
    """Everything in the public report plus what only reviewers, admins and auditors may read.

    `items` has the snapshot's item shape (documents._manifest_items reads it); restricted
    evidence keeps its real title.
    """
    report = _report(report)
    items, extras = [], {}
    for response in report.items.all():
        row, extra = _item(response)
        items.append(row)
        extras[row["node"]] = extra
    groups = group_views(report.period.framework_id, {item["node"]: item for item in items})
    for view in groups:
        for row in view.items:
            row.extra = extras.get(row.node.node_id, {})
    current_evidence = [e for item in items for e in item["evidence"]]
    publications = list(
        Publication.objects.filter(report=report).select_related("published_by").order_by("version")
    )
    return {
        "report": report,
        "organisation": report.organisation,
        "period": report.period,
        "framework": report.period.framework,
        "items": items,
        "groups": groups,
        "summary": Summary.of(items),
        "chart": principle_chart(groups, chart_id="principles"),
        "publications": publications,
        "current_publication": publications[-1] if publications else None,
        "ledger_entries": _ledger(report),
        # Independent audits whose scope holds the report: findings, and the attestation or none yet.
        "engagements": report_engagements(report),
        "counts": {
            "evidence": len(current_evidence),
            "restricted": sum(1 for e in current_evidence if e["visibility"] != "public"),
            "verdicts": sum(len(x["verdicts"]) for x in extras.values()),
            "comments": sum(len(x["comments"]) for x in extras.values()),
            "responses": sum(len(x["responses"]) for x in extras.values()),
        },
        **reading_guide(),
    }
