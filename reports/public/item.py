"""One item of a published report: what was claimed, the verdict, the evidence, and what changed
since the organisation's previous published report."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.http import Http404

from audits.models import Finding
from audits.selectors import PublicAudit, report_audits
from audits.selectors_follow_up import published_follow_ups
from commitments.models import FrameworkNode, MetricDefinition
from commitments.vocabulary import AssuranceLevel
from reports.models import Publication
from reports.public.changes import Change, item_changes
from reports.public.links import item_url, report_url
from reports.public.snapshots import (
    item_level,
    publication_get,
    publication_versions,
    snapshot,
    snapshot_items,
)


@dataclass
class ItemPage:
    publication: Publication
    data: dict[str, Any]
    item: dict[str, Any]
    node: FrameworkNode
    ancestors: list[FrameworkNode]
    metric_definitions: dict[str, MetricDefinition]
    versions: list[Publication]
    is_current: bool
    report_url: str
    previous: Publication | None = None
    previous_item: dict[str, Any] | None = None
    previous_url: str = ""
    changes: list[Change] = field(default_factory=list)
    audit: PublicAudit | None = None  # the item's attested audit finding, if any
    # Nonconformities of earlier audits whose corrective action this report follows up on this item.
    follow_ups: list[Finding] = field(default_factory=list)

    @property
    def level(self) -> AssuranceLevel:
        return item_level(self.item, self.audit)

    @property
    def public_evidence(self) -> list[dict[str, Any]]:
        return [e for e in self.item["evidence"] if e["visibility"] == "public"]

    @property
    def restricted_evidence(self) -> list[dict[str, Any]]:
        return [e for e in self.item["evidence"] if e["visibility"] != "public"]


def public_item(
    *, slug: str, framework_key: str, period_label: str, node_id: str, version: int | None = None
) -> ItemPage:
    publication = publication_get(
        slug=slug, framework_key=framework_key, period_label=period_label, version=version
    )
    item = snapshot_items(publication).get(node_id)
    if item is None:
        raise Http404("This report has no such item.")
    period = publication.report.period
    nodes = {
        n.pk: n
        for n in FrameworkNode.objects.filter(framework=period.framework).prefetch_related(
            Prefetch("metrics", queryset=MetricDefinition.objects.order_by("position"))
        )
    }
    node = next(n for n in nodes.values() if n.node_id == node_id)
    ancestors = []
    up = nodes.get(node.parent_id)
    while up is not None:
        ancestors.insert(0, up)
        up = nodes.get(up.parent_id)
    versions = publication_versions(publication)
    is_current = publication.pk == versions[-1].pk
    page = ItemPage(
        publication=publication,
        data=snapshot(publication),
        item=item,
        node=node,
        ancestors=ancestors,
        metric_definitions={m.key: m for m in node.metrics.all()},
        versions=versions,
        is_current=is_current,
        report_url=report_url(publication, versioned=not is_current),
        audit=report_audits(publication.report_id).get(node_id),
        follow_ups=published_follow_ups(publication.report_id).get(node_id, []),
    )
    previous = (
        Publication.objects.current()
        .filter(
            report__organisation_id=publication.report.organisation_id,
            report__period__framework__key=framework_key,
            report__period__starts_on__lt=period.starts_on,
        )
        .select_related("report__period")
        .order_by("-report__period__starts_on")
        .first()
    )
    if previous is not None:
        page.previous = previous
        page.previous_item = snapshot_items(previous).get(node_id)
        if page.previous_item is not None:
            page.previous_url = item_url(report_url(previous), node_id)
        page.changes = item_changes(page.previous_item, item)
    return page
