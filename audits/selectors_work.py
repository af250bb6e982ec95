"""Reads for the auditor's work (audits/services/work.py): what is in an engagement's scope and what
is missing before it can be attested. The corrective actions an organisation follows up are read
in audits/selectors_follow_up.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from audits.models import Engagement, Finding, Workpaper
from commitments.models import ItemResponse


def items_in_scope(engagement: Engagement) -> QuerySet[ItemResponse]:
    """The items of the reports of the engagement's organisations and periods."""
    return ItemResponse.objects.filter(
        report__organisation__in=engagement.organisations.all(),
        report__period__in=engagement.periods.all(),
    )


def item_in_scope(engagement: Engagement, item: ItemResponse) -> bool:
    return items_in_scope(engagement).filter(pk=item.pk).exists()


@dataclass
class Missing:
    """What stops an engagement being attested; empty (falsy) when nothing does."""

    nothing_in_scope: bool = False
    items_without_finding: list[ItemResponse] = field(default_factory=list)
    unsigned_workpapers: list[Workpaper] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.nothing_in_scope or bool(self.items_without_finding or self.unsigned_workpapers)

    def sentence(self) -> str:
        parts = []
        if self.nothing_in_scope:
            parts.append("there is no report in its scope yet")
        if self.items_without_finding:
            count = len(self.items_without_finding)
            parts.append(f"{count} item{'s' if count != 1 else ''} without a finding")
        if self.unsigned_workpapers:
            count = len(self.unsigned_workpapers)
            parts.append(f"{count} workpaper{'s' if count != 1 else ''} not signed off by a second auditor")
        return "; ".join(parts) + "."


def attestation_missing(engagement: Engagement) -> Missing:
    """Every item in scope needs a finding; with two or more auditors every workpaper needs a sign-off."""
    items = items_in_scope(engagement).select_related("report__organisation", "report__period", "node")
    items = list(items.order_by("report__organisation__name", "report__period__starts_on", "node__position"))
    found = set(Finding.objects.filter(engagement=engagement).values_list("item_id", flat=True))
    missing = Missing(
        nothing_in_scope=not items,
        items_without_finding=[item for item in items if item.pk not in found],
    )
    if engagement.auditors.count() >= 2:
        missing.unsigned_workpapers = list(
            Workpaper.objects.filter(engagement=engagement, reviewed_by__isnull=True).select_related(
                "item__node", "item__report__organisation", "item__report__period"
            )
        )
    return missing
