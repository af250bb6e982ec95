"""Reads for the engagement pages: the list, one engagement's seats, and the auditor's workspace.

The workspace is the review page's items (commitments.selectors_review.report_items_for_review)
for every report in the engagement's scope the access gate lets the auditor audit, with the
engagement's finding on each item beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from audits.models import Engagement, EngagementAuditor, Finding
from commitments import access
from commitments.access import RULES, Action, Kind
from commitments.models import ItemResponse, Organisation, ProgressReport, ReportingPeriod
from commitments.selectors_review import report_items_for_review

NO_FINDING = "none"  # the finding filter's value for items without one


def engagements_with_scope() -> QuerySet[Engagement]:
    """Engagements with their auditors, organisations and periods, for lists and pages."""
    return Engagement.objects.prefetch_related(
        Prefetch("auditors", queryset=EngagementAuditor.objects.select_related("auditor").order_by("pk")),
        Prefetch("organisations", queryset=Organisation.objects.order_by("name")),
        Prefetch(
            "periods", queryset=ReportingPeriod.objects.select_related("framework").order_by("starts_on")
        ),
    )


def engagements_for(*, user: User) -> list[Engagement]:
    """The engagements the user may open now: all of them for a program admin; for an auditor, the
    ones they are seated on that are open (the gate decides, engagement by engagement)."""
    if access.can(user, Action.MANAGE_ENGAGEMENTS):
        candidates = engagements_with_scope()
    else:
        candidates = engagements_with_scope().open_at().filter(auditors__auditor=user).distinct()
    return [engagement for engagement in candidates if access.can(user, Action.READ, engagement)]


def upcoming_starts(*, user: User, moment: datetime | None = None) -> list[datetime]:
    """When the engagements the user is an auditor of, not open yet, start; nothing else of them."""
    moment = moment or timezone.now()
    return list(
        EngagementAuditor.objects.filter(auditor=user, engagement__starts_at__gt=moment)
        .order_by("engagement__starts_at")
        .values_list("engagement__starts_at", flat=True)
    )


@dataclass(frozen=True)
class EngagementList:
    may_manage: bool
    engagements: list[Engagement]
    upcoming: list[datetime]


def engagement_list_for(*, user: User) -> EngagementList:
    """What the engagements list shows the user (the page and the API): refused (PermissionDenied)
    to whoever has nothing there and could have nothing — not a program admin, and no seat on an
    engagement open now or to come."""
    may_manage = access.can(user, Action.MANAGE_ENGAGEMENTS)
    engagements = engagements_for(user=user)
    upcoming = [] if may_manage else upcoming_starts(user=user)
    if not (may_manage or engagements or upcoming):
        raise PermissionDenied(RULES[Kind.ENGAGEMENT][Action.READ].refusal)
    return EngagementList(may_manage=may_manage, engagements=engagements, upcoming=upcoming)


def has_engagements(*, user: User) -> bool:
    """Whether the header links to the audit pages: the gate asked about an engagement, not any one
    in particular (no id: it matches every seat), so program admins and auditors seated on an
    engagement open now. No query for anyone else, and only the gate's cached seats for auditors:
    it runs on every page."""
    return access.can(user, Action.READ, Engagement())


def seat_of(*, engagement: Engagement, user: User) -> EngagementAuditor | None:
    return EngagementAuditor.objects.filter(engagement=engagement, auditor=user).first()


# --- the workspace ---------------------------------------------------------------------------------


@dataclass
class ItemRow:
    item: ItemResponse
    finding: Finding | None

    @property
    def verdict(self):
        return self.item.current_verdict


@dataclass
class ReportInScope:
    """One organisation × period pair of the scope, with its report when there is one."""

    organisation: Organisation
    period: ReportingPeriod
    report: ProgressReport | None
    rows: list[ItemRow] = field(default_factory=list)  # after the filters
    total: int = 0  # before the filters
    with_finding: int = 0


@dataclass
class Filters:
    status: str = ""
    verdict: str = ""
    finding: str = ""

    def keep(self, row: ItemRow) -> bool:
        if self.status and row.item.status != self.status:
            return False
        if self.verdict and (row.verdict.verdict if row.verdict else "") != self.verdict:
            return False
        if self.finding == NO_FINDING:
            return row.finding is None
        return not self.finding or (row.finding is not None and row.finding.kind == self.finding)

    @property
    def active(self) -> bool:
        return bool(self.status or self.verdict or self.finding)


@dataclass
class Workspace:
    scope: list[ReportInScope]

    @property
    def total(self) -> int:
        return sum(entry.total for entry in self.scope)

    @property
    def with_finding(self) -> int:
        return sum(entry.with_finding for entry in self.scope)

    @property
    def shown(self) -> int:
        return sum(len(entry.rows) for entry in self.scope)


def audit_reports(*, engagement: Engagement, user: User) -> QuerySet[ProgressReport]:
    """The reports of the engagement's scope that the user may audit (the gate's query)."""
    return (
        ProgressReport.objects.filter(
            organisation__in=engagement.organisations.all(), period__in=engagement.periods.all()
        )
        .filter(access.reports_where(user, Action.AUDIT))
        .select_related("organisation", "period__framework", "reviewer")
    )


def findings_by_item(*, engagement: Engagement, items: list[ItemResponse]) -> dict[int, Finding]:
    findings = Finding.objects.filter(engagement=engagement, item__in=[item.pk for item in items])
    return {finding.item_id: finding for finding in findings}


def workspace(*, engagement: Engagement, user: User, filters: Filters) -> Workspace:
    """Every organisation × period of the scope, its report's items (filtered) and the progress."""
    reports = {(r.organisation_id, r.period_id): r for r in audit_reports(engagement=engagement, user=user)}
    scope = []
    for organisation in engagement.organisations.all():
        for period in engagement.periods.all():
            report = reports.get((organisation.pk, period.pk))
            entry = ReportInScope(organisation, period, report)
            if report is not None:
                items = report_items_for_review(report=report)
                findings = findings_by_item(engagement=engagement, items=items)
                rows = [ItemRow(item, findings.get(item.pk)) for item in items]
                entry.total = len(rows)
                entry.with_finding = sum(1 for row in rows if row.finding is not None)
                entry.rows = [row for row in rows if filters.keep(row)]
            scope.append(entry)
    return Workspace(scope)


# The workspace's order (engagements_with_scope, workspace): organisations by name, their periods
# oldest first, each report's items in framework order.
WORKSPACE_ORDER = (
    "report__organisation__name",
    "report__organisation_id",
    "report__period__starts_on",
    "report__period_id",
    "node__position",
)


@dataclass(frozen=True)
class Neighbours:
    previous: ItemResponse | None = None
    next: ItemResponse | None = None


def item_neighbours(*, engagement: Engagement, item: ItemResponse, user: User) -> Neighbours:
    """The items before and after `item` in the workspace's order, among the reports of the
    engagement's scope the user may audit: the item page's links to work through them in turn."""
    reports = audit_reports(engagement=engagement, user=user).values("pk")
    ids = list(
        ItemResponse.objects.filter(report__in=reports)
        .order_by(*WORKSPACE_ORDER)
        .values_list("pk", flat=True)
    )
    if item.pk not in ids:
        return Neighbours()
    at = ids.index(item.pk)
    wanted = {"previous": ids[at - 1] if at > 0 else None, "next": ids[at + 1] if at + 1 < len(ids) else None}
    found = ItemResponse.objects.select_related("node", "report__organisation", "report__period").in_bulk(
        [pk for pk in wanted.values() if pk is not None]
    )
    return Neighbours(**{side: found.get(pk) for side, pk in wanted.items()})


def in_scope(*, engagement: Engagement, report: ProgressReport) -> bool:
    """Whether the report's organisation and period are both in the engagement's scope."""
    return (
        engagement.organisations.filter(pk=report.organisation_id).exists()
        and engagement.periods.filter(pk=report.period_id).exists()
    )
