"""What a report says, read for its transitions: what keeps it from being submitted, and its digest."""

import hashlib
from decimal import Decimal

from commitments.models import ImplementationStatus, ProgressReport
from commitments.services.ledger import canonical_json


def decimal_text(value: Decimal | None) -> str | None:
    """One text form per number ("12", never "12.0000" or "1.2E+1"), for the ledger and diffs."""
    return None if value is None else format(value.normalize(), "f")


def report_submission_problems(report: ProgressReport) -> dict[str, list[str]]:
    """Everything that keeps the report from being submitted, by item node id."""
    problems: dict[str, list[str]] = {}
    items = report.items.select_related("node").prefetch_related(
        "node__metrics", "metric_values__metric", "evidence"
    )
    for item in items:
        found: list[str] = []
        if not item.status:
            found.append("Choose an implementation status.")
        needs_narrative = item.status in (ImplementationStatus.IMPLEMENTED, ImplementationStatus.IN_PROGRESS)
        if needs_narrative and not item.narrative.strip():
            found.append("Describe what was done (narrative).")
        if item.status == ImplementationStatus.IMPLEMENTED and not list(item.evidence.all()):
            found.append("Attach at least one piece of evidence for an implemented mitigation.")
        if item.status == ImplementationStatus.NOT_APPLICABLE and not item.narrative.strip():
            found.append("Explain why this mitigation does not apply (narrative).")
        if item.status and item.status != ImplementationStatus.NOT_APPLICABLE:
            values = {v.metric.key: v for v in item.metric_values.all()}
            for metric in item.node.metrics.all():
                if not metric.required:
                    continue
                value = values.get(metric.key)
                if value is None or value.value is None:
                    found.append(f"Give a value for “{metric.name}”.")
                elif metric.requires_data_source and not value.data_source.strip():
                    found.append(f"Say where “{metric.name}” comes from (data source).")
        if found:
            problems[item.node.node_id] = found
    return problems


def report_content_digest(report: ProgressReport) -> str:
    """SHA-256 of what the items say, recorded at submission so later changes can be shown."""
    items = report.items.select_related("node").prefetch_related("metric_values__metric", "evidence")
    content = [
        {
            "node": item.node.node_id,
            "status": item.status,
            "narrative": item.narrative,
            "areas": item.areas_needing_progress,
            "metrics": {
                v.metric.key: [decimal_text(v.value), v.data_source] for v in item.metric_values.all()
            },
            "evidence": [e.pk for e in item.evidence.all()],
        }
        for item in items
    ]
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()
