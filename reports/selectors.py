"""Reads for publication: what the public may see of a report, as snapshots and PDF manifests state it."""

from typing import Any

from django.db.models import Prefetch

from commitments.models import Evidence, ItemResponse, ProgressReport
from commitments.services.reports import decimal_text


def metric_rows(item) -> list[dict[str, Any]]:
    """An item's metric values as snapshots and manifests state them (exact decimal text)."""
    return [
        {
            "key": value.metric.key,
            "name": value.metric.name,
            "unit": value.metric.unit,
            "value": decimal_text(value.value),
            "data_source": value.data_source,
        }
        for value in item.metric_values.all()
    ]


def item_statement(
    item, *, verdict, evidence: list[dict[str, Any]], company_responses: list[str]
) -> dict[str, Any]:
    """What a report states about one item, as snapshots and PDF manifests write it."""
    return {
        "node": item.node.node_id,
        "title": item.node.title,
        "status": item.status,
        "narrative": item.narrative,
        "areas_needing_progress": item.areas_needing_progress,
        "metrics": metric_rows(item),
        "verdict": verdict.verdict if verdict else None,
        "verdict_justification": verdict.justification if verdict else "",
        "company_responses": company_responses,
        "evidence": evidence,
    }


def report_public_snapshot(report: ProgressReport) -> dict[str, Any]:
    """The report as the public may see it: no reviewer comments, restricted evidence as hash only."""
    report = (
        ProgressReport.objects.select_related("organisation", "period__framework")
        .prefetch_related(
            Prefetch("items", queryset=ItemResponse.objects.with_verdicts()),
            "items__node__metrics",
            "items__metric_values__metric",
            Prefetch("items__evidence", queryset=Evidence.objects.current()),
            "items__company_responses",
        )
        .get(pk=report.pk)
    )
    period = report.period
    items = []
    for item in report.items.all():
        evidence = []
        for entry in item.evidence.all():
            public = entry.visibility == Evidence.Visibility.PUBLIC
            evidence.append(
                {
                    "id": entry.pk,
                    "visibility": entry.visibility,
                    "kind": entry.kind,
                    "title": entry.title if public else "Restricted evidence",
                    "url": entry.url if public else "",
                    "effective_date": entry.effective_date.isoformat(),
                    "sha256": entry.sha256,
                    "size_bytes": entry.size_bytes,
                    "media_type": entry.media_type if public else "",
                    "revision": entry.revision,
                }
            )
        items.append(
            item_statement(
                item,
                verdict=item.current_verdict,
                evidence=evidence,
                company_responses=[r.body for r in item.company_responses.all()],
            )
        )
    return {
        "report_id": report.pk,
        "reference": report.reference,
        "organisation": {"name": report.organisation.name, "slug": report.organisation.slug},
        "period": {
            "label": period.label,
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
        },
        "framework": {"key": period.framework.key, "version": period.framework.version},
        "revision": report.revision,
        "verified_at": report.verified_at.isoformat() if report.verified_at else None,
        "items": items,
    }
