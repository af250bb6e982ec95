"""The program summary's template context: one period, every committed organisation.

Built like the public matrix (reports.public.matrix), from current publications only: what
the summary states about an organisation is what its published report states, and an
organisation without a published report is shown as not reported. A fixed number of queries
whatever the number of organisations; the HTML stays plain (one short text per matrix cell, no
per-cell markup beyond a class) so that 200 organisations render well within a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from commitments.models import (
    Commitment,
    FrameworkNode,
    Organisation,
    ReportingPeriod,
)
from commitments.vocabulary import AssuranceLevel, ImplementationStatus, status_code
from reports.models import Publication
from reports.pdf.charts import STATUS_SEGMENTS, StackedRow, stacked_status_chart
from reports.pdf.common import reading_guide
from reports.public import headlines
from reports.public.frameworks import Group, framework_groups
from reports.public.snapshots import current_publications, is_verified, item_level, snapshot_items
from reports.public.summaries import Summary
from reports.svg import BarPoint, progress_chart

TREND_PERIODS = 6


@dataclass
class SummaryRow:
    organisation: Organisation
    publication: Publication | None
    reference: str
    summary: Summary
    on_time: bool | None
    cells: list[tuple[str, str]] = field(default_factory=list)  # (text, css class) per mitigation

    @property
    def reported(self) -> bool:
        return self.publication is not None


@dataclass
class MitigationRow:
    node: FrameworkNode
    group: Group
    counts: dict[str, int]
    verified: int
    reported: int

    @property
    def verified_pct(self) -> int:
        return round(100 * self.verified / self.reported) if self.reported else 0


def _cell(item: dict[str, Any] | None) -> tuple[str, str]:
    """Status code and assurance symbol in words the legend explains, e.g. 'IM ✓'."""
    if item is None:
        return AssuranceLevel.NOT_REPORTED.icon, "c-nr"
    code = status_code(item["status"])
    verified = is_verified(item)
    return f"{code} {item_level(item).icon}", f"c-{code.lower()}{' v' if verified else ''}"


def _point(label: str, headline: headlines.Headline) -> BarPoint:
    if not headline.reported:
        return BarPoint(label=label, implemented_pct=None, verified_pct=None)
    return BarPoint(
        label=label, implemented_pct=headline.items.implemented_pct, verified_pct=headline.items.verified_pct
    )


def _earlier_headlines(
    period: ReportingPeriod, commitments: list[Commitment]
) -> list[tuple[ReportingPeriod, headlines.Headline]]:
    """The headline figures of the periods before this one (same framework key), oldest first."""
    earlier = list(
        ReportingPeriod.objects.filter(framework__key=period.framework.key, starts_on__lt=period.starts_on)
        .select_related("framework")
        .order_by("-starts_on")[: TREND_PERIODS - 1]
    )
    return [(before, headlines.headline_for(before, commitments)) for before in reversed(earlier)]


def program_summary_context(period: ReportingPeriod) -> dict[str, Any]:
    framework = period.framework
    groups = framework_groups(FrameworkNode.objects.filter(framework=framework).order_by("position"))
    nodes = [(group, node) for group in groups for node in group.items]
    commitments = list(
        Commitment.objects.filter(framework__key=framework.key).select_related("organisation").order_by("pk")
    )
    organisations = headlines.committed_organisations(commitments, period)
    publications = current_publications(period)
    headline = headlines.period_headline(period, organisations, publications)
    # A published report of an organisation that signed later still counts (it was published).
    known = {o.pk for o in organisations}
    extra_ids = [org_id for org_id in publications if org_id not in known]
    if extra_ids:
        organisations = sorted(
            [*organisations, *Organisation.objects.filter(pk__in=extra_ids)], key=lambda o: o.name.casefold()
        )

    per_node: dict[str, dict[str, int]] = {node.node_id: {} for _, node in nodes}
    verified_per_node = dict.fromkeys(per_node, 0)
    rows: list[SummaryRow] = []
    manifest_organisations = []
    for organisation in organisations:
        publication = publications.get(organisation.pk)
        items = snapshot_items(publication) if publication else {}
        reference = ""
        if publication is not None:
            publication.report.period = period  # the reference needs the period's label, no query
            reference = publication.report.reference
        summary = Summary.of(items.values())
        summary.reported = publication is not None
        row = SummaryRow(
            organisation=organisation,
            publication=publication,
            reference=reference,
            summary=summary,
            on_time=headlines.on_time(publication, period) if publication else None,
        )
        manifest_items = []
        for _, node in nodes:
            item = items.get(node.node_id)
            if publication is not None:
                row.cells.append(_cell(item))
                key = item["status"] if item and item["status"] else AssuranceLevel.NOT_REPORTED
            else:
                key = AssuranceLevel.NOT_REPORTED
            counts = per_node[node.node_id]
            counts[key] = counts.get(key, 0) + 1
            if is_verified(item):
                verified_per_node[node.node_id] += 1
            manifest_items.append(
                {
                    "node": node.node_id,
                    "status": item["status"] if item else None,
                    "verdict": item.get("verdict") if item else None,
                }
            )
        rows.append(row)
        manifest_organisations.append(
            {
                "name": organisation.name,
                "slug": organisation.slug,
                "reported": publication is not None,
                "report_reference": reference or None,
                "publication_version": publication.version if publication else None,
                "snapshot_sha256": publication.snapshot_sha256 if publication else None,
                "items": manifest_items,
            }
        )

    mitigations = [
        MitigationRow(
            node=node,
            group=group,
            counts=per_node[node.node_id],
            verified=verified_per_node[node.node_id],
            reported=sum(n for k, n in per_node[node.node_id].items() if k != AssuranceLevel.NOT_REPORTED),
        )
        for group, node in nodes
    ]
    earlier = _earlier_headlines(period, commitments)
    previous, before = earlier[-1] if earlier else (None, None)
    changes = headlines.headline_changes(headline, before) if before is not None else []
    trend = [*(_point(p.label, h) for p, h in earlier), _point(period.label, headline)]
    return {
        "period": period,
        "framework": framework,
        "previous_period": previous,
        "headline": headline,
        "changes": changes,
        "groups": groups,
        "columns": [node for _, node in nodes],
        "rows": rows,
        "mitigations": mitigations,
        "trend_chart": progress_chart(
            trend,
            title="Progress over time",
            description="For this period and the ones before it: the share of applicable items that "
            "organisations report as implemented, and the share of items a program reviewer verified.",
            chart_id="trend",
        ),
        "status_chart": stacked_status_chart(
            [StackedRow(label=m.node.code or m.node.node_id, counts=m.counts) for m in mitigations],
            title="Implementation status by mitigation",
            description="For each mitigation, how many organisations report each implementation status, "
            "and how many have no published report for the period.",
            chart_id="statuses",
        ),
        "manifest_organisations": manifest_organisations,
        # The matrix's legend, in the status chart's order.
        "status_legend": [s.word for s in STATUS_SEGMENTS if isinstance(s.word, ImplementationStatus)],
        "assurance": AssuranceLevel,
        **reading_guide(),
    }
