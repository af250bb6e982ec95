"""The public progress report's template context: the published snapshot, and nothing else.

Everything an item says comes from `Publication.snapshot`, exactly what the public site shows:
restricted evidence is there only as its hash and size, and there are no review comments.
"""

from __future__ import annotations

from typing import Any

from commitments.models import ReportingPeriod
from reports.models import Publication
from reports.pdf.common import group_views, reading_guide
from reports.public.snapshots import snapshot
from reports.public.summaries import Summary
from reports.svg import BarPoint, progress_chart


def principle_chart(groups, *, chart_id: str) -> str:
    """Implemented and reviewer-verified shares per principle, as the shared grouped-bar chart."""
    points = [
        BarPoint(
            label=view.group.node.code or str(index),
            implemented_pct=view.summary.implemented_pct,
            verified_pct=view.summary.verified_pct,
        )
        for index, view in enumerate(groups, start=1)
    ]
    return progress_chart(
        points,
        title="Progress by principle",
        description="For each principle: the share of applicable mitigations the organisation reports as "
        "implemented, and the share of its mitigations a program reviewer verified.",
        chart_id=chart_id,
    )


def public_report_context(publication: Publication, *, period: ReportingPeriod) -> dict[str, Any]:
    data = snapshot(publication)
    groups = group_views(period.framework_id, {item["node"]: item for item in data["items"]})
    evidence = [entry for item in data["items"] for entry in item["evidence"]]
    return {
        "snapshot": data,
        "publication": publication,
        "period": period,
        "framework": period.framework,
        "organisation": data["organisation"],
        "groups": groups,
        "summary": Summary.of(data["items"]),
        "chart": principle_chart(groups, chart_id="principles"),
        "evidence_counts": {
            "public": sum(1 for e in evidence if e["visibility"] == "public"),
            "restricted": sum(1 for e in evidence if e["visibility"] != "public"),
        },
        **reading_guide(),
    }
