"""Reads for the auditor's work (audits/services/work.py): what is in an engagement's scope, what
is missing before it can be attested, and the findings an organisation's officers may respond to.
The corrective actions an organisation follows up are read in audits/selectors_follow_up.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from audits.models import Attestation, Engagement, Finding, Workpaper
from commitments.models import ItemResponse, Organisation
from commitments.vocabulary import FindingKind


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
    # With two or more auditors (four eyes), every item needs a workpaper a second auditor signs off.
    items_without_workpaper: list[ItemResponse] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.nothing_in_scope or bool(
            self.items_without_finding or self.unsigned_workpapers or self.items_without_workpaper
        )

    def sentence(self) -> str:
        parts = []
        if self.nothing_in_scope:
            parts.append("there is no report in its scope yet")
        if self.items_without_finding:
            count = len(self.items_without_finding)
            parts.append(f"{count} item{'s' if count != 1 else ''} without a finding")
        if self.items_without_workpaper:
            count = len(self.items_without_workpaper)
            parts.append(f"{count} item{'s' if count != 1 else ''} without a workpaper")
        if self.unsigned_workpapers:
            count = len(self.unsigned_workpapers)
            parts.append(f"{count} workpaper{'s' if count != 1 else ''} not signed off by a second auditor")
        return "; ".join(parts) + "."


def attestation_missing(engagement: Engagement) -> Missing:
    """Every item in scope needs a finding; with two or more auditors every item also needs a
    workpaper, signed off by an auditor other than its preparer (four eyes)."""
    items = items_in_scope(engagement).select_related("report__organisation", "report__period", "node")
    items = list(items.order_by("report__organisation__name", "report__period__starts_on", "node__position"))
    found = set(Finding.objects.filter(engagement=engagement).values_list("item_id", flat=True))
    missing = Missing(
        nothing_in_scope=not items,
        items_without_finding=[item for item in items if item.pk not in found],
    )
    if engagement.auditors.count() >= 2:
        papered = set(Workpaper.objects.filter(engagement=engagement).values_list("item_id", flat=True))
        missing.items_without_workpaper = [item for item in items if item.pk not in papered]
        missing.unsigned_workpapers = list(
            Workpaper.objects.filter(engagement=engagement, reviewed_by__isnull=True).select_related(
                "item__node", "item__report__organisation", "item__report__period"
            )
        )
    return missing


def findings_to_respond(organisation: Organisation) -> QuerySet[Finding]:
    """Observations and nonconformities on the organisation's reports in engagements not attested
    yet: the findings its officers may still respond to (audits.services.work.finding_respond),
    whether they have responded already or not."""
    return (
        Finding.objects.filter(
            item__report__organisation=organisation,
            kind__in=[FindingKind.OBSERVATION, FindingKind.NONCONFORMITY],
        )
        .exclude(engagement__in=Attestation.objects.values("engagement"))
        .select_related("item__node", "item__report__period", "engagement")
        .order_by("engagement_id", "-item__report__period__starts_on", "item__node__position")
    )
