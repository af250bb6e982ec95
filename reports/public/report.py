"""One published report's page (current or superseded version), item by item under its groups."""

from dataclasses import dataclass
from typing import Any

from audits.selectors import PublicAudit, public_audits
from commitments.models import FrameworkNode
from commitments.vocabulary import AssuranceLevel, status_label
from reports.models import Publication
from reports.public.frameworks import Group, framework_groups
from reports.public.links import item_url, report_url
from reports.public.pdfs import PublicPdf, public_pdfs
from reports.public.snapshots import (
    item_level,
    publication_get,
    publication_versions,
    snapshot,
    snapshot_items,
)
from reports.public.summaries import Summary


@dataclass
class ItemRow:
    node: FrameworkNode
    item: dict[str, Any] | None
    url: str
    audit: PublicAudit | None = None  # the item's attested audit finding

    @property
    def level(self) -> AssuranceLevel:
        return item_level(self.item, self.audit)

    @property
    def status(self) -> str:
        return self.item["status"] if self.item else ""

    @property
    def status_label(self) -> str:
        return status_label(self.status) if self.item else AssuranceLevel.NOT_REPORTED.label


@dataclass
class GroupSummary:
    group: Group
    summary: Summary
    items: list[ItemRow]


def group_summaries(
    groups: list[Group],
    items: dict[str, dict[str, Any]],
    base_report_url: str,
    audits: dict[str, PublicAudit] | None = None,
) -> list[GroupSummary]:
    """A published report's items (by node id) under the framework's groups, each group summed up.

    `audits`: node id → the item's attested audit finding (audits.selectors.public_audits).
    """
    audits = audits or {}
    summaries = []
    for group in groups:
        found = [items.get(n.node_id) for n in group.items]
        summaries.append(
            GroupSummary(
                group=group,
                summary=Summary.of(found, audits),
                items=[
                    ItemRow(node, item, item_url(base_report_url, node.node_id), audits.get(node.node_id))
                    for node, item in zip(group.items, found, strict=True)
                ],
            )
        )
    return summaries


@dataclass
class ReportPage:
    publication: Publication
    data: dict[str, Any]
    versions: list[Publication]
    groups: list[GroupSummary]
    summary: Summary
    is_current: bool
    url: str
    current_url: str
    pdf: PublicPdf | None = None


def public_report(
    *, slug: str, framework_key: str, period_label: str, version: int | None = None
) -> ReportPage:
    publication = publication_get(
        slug=slug, framework_key=framework_key, period_label=period_label, version=version
    )
    return publication_page(publication)


def publication_page(publication: Publication) -> ReportPage:
    """The public page of one published version (the page and the API's published report alike)."""
    versions = publication_versions(publication)
    data = snapshot(publication)
    is_current = publication.pk == versions[-1].pk
    url = report_url(publication, versioned=not is_current)
    groups = framework_groups(FrameworkNode.objects.filter(framework=publication.report.period.framework))
    audits = public_audits([publication.report_id]).get(publication.report_id, {})
    return ReportPage(
        publication=publication,
        data=data,
        versions=versions,
        groups=group_summaries(groups, snapshot_items(publication), url, audits),
        summary=Summary.of(data["items"], audits),
        is_current=is_current,
        url=url,
        current_url=report_url(publication),
        pdf=public_pdfs([publication]).get(publication.pk),
    )
