import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from commitments.models import (
    Commitment,
    Evidence,
    Framework,
    FrameworkNode,
    ItemResponse,
    Membership,
    MetricValue,
    Organisation,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from commitments.vocabulary import EDITABLE_STATES


def framework_list() -> QuerySet[Framework]:
    return Framework.objects.annotate(item_count=Count("nodes", filter=Q(nodes__reportable=True))).order_by(
        "key", "version"
    )


# --- officer workspace ----------------------------------------------------------------------


@dataclass
class PeriodRow:
    period: ReportingPeriod
    report: ProgressReport | None
    overdue_days: int = 0
    can_carry_forward: bool = False

    @property
    def is_overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def with_organisation(self) -> bool:
        """The report is open for the organisation's edits (not handed in)."""
        return self.report is not None and self.report.status in EDITABLE_STATES


@dataclass
class OrganisationDashboard:
    organisation: Organisation
    role: str
    role_label: str
    commitments: list[Commitment] = field(default_factory=list)
    open_periods: list[PeriodRow] = field(default_factory=list)
    published: list[ProgressReport] = field(default_factory=list)


def dashboard_for_user(user: User, *, today: datetime.date | None = None) -> list[OrganisationDashboard]:
    """Each organisation the user belongs to: commitments, open periods and report progress.

    A period is open for an organisation until its report there is published. A fixed number of
    queries however many organisations, periods and reports there are.
    """
    today = today or timezone.localdate()
    memberships = list(Membership.objects.filter(user=user).select_related("organisation"))
    if not memberships:
        return []
    boards = {
        m.organisation_id: OrganisationDashboard(
            organisation=m.organisation, role=m.role, role_label=m.get_role_display()
        )
        for m in memberships
    }
    commitments = Commitment.objects.filter(organisation_id__in=boards).select_related("framework")
    keys_by_org: dict[int, set[str]] = {}
    for commitment in commitments:
        boards[commitment.organisation_id].commitments.append(commitment)
        keys_by_org.setdefault(commitment.organisation_id, set()).add(commitment.framework.key)

    all_keys = set().union(*keys_by_org.values()) if keys_by_org else set()
    periods = list(
        ReportingPeriod.objects.filter(framework__key__in=all_keys)
        .select_related("framework")
        .order_by("due_on", "framework__key")
    )
    reports = (
        ProgressReport.objects.filter(organisation_id__in=boards)
        .select_related("period__framework")
        .with_completion()
    )
    by_org_period: dict[tuple[int, int], ProgressReport] = {}
    published_keys: set[tuple[int, str]] = set()
    for report in reports:
        by_org_period[(report.organisation_id, report.period_id)] = report
        if report.status == ReportStatus.PUBLISHED:
            published_keys.add((report.organisation_id, report.period.framework.key))
            boards[report.organisation_id].published.append(report)

    for org_id, board in boards.items():
        for period in periods:
            if period.framework.key not in keys_by_org.get(org_id, ()):
                continue
            report = by_org_period.get((org_id, period.pk))
            if report is not None and report.status == ReportStatus.PUBLISHED:
                continue
            still_owed = report is None or report.status in EDITABLE_STATES
            overdue = (today - period.due_on).days if still_owed and period.due_on < today else 0
            board.open_periods.append(
                PeriodRow(
                    period=period,
                    report=report,
                    overdue_days=overdue,
                    can_carry_forward=report is None and (org_id, period.framework.key) in published_keys,
                )
            )
        board.published.sort(key=lambda r: r.period.starts_on, reverse=True)
    return sorted(boards.values(), key=lambda b: b.organisation.name)


def reports_for_editor() -> QuerySet[ProgressReport]:
    """Reports with what the editor's header needs (the access gate picks one from these)."""
    return ProgressReport.objects.select_related(
        "organisation", "period__framework", "created_by"
    ).with_completion()


def items_for_editor() -> QuerySet[ItemResponse]:
    """Items in framework order, with metrics, verdicts and current evidence prefetched."""
    return (
        ItemResponse.objects.select_related("node", "updated_by")
        .with_verdicts()
        .prefetch_related(
            "node__metrics",
            "metric_values__metric",
            Prefetch(
                "evidence",
                queryset=Evidence.objects.current().order_by("effective_date", "pk"),
                to_attr="current_evidence",
            ),
        )
        .order_by("node__position")
    )


def items_with_metrics() -> QuerySet[ItemResponse]:
    """Items with what their answer is made of: the node, its metric definitions and the values
    given, and who saved it last; three queries however many items (the API's items)."""
    return ItemResponse.objects.select_related("node", "updated_by").prefetch_related(
        "node__metrics", Prefetch("metric_values", queryset=MetricValue.objects.select_related("metric"))
    )


def editor_items(report: ProgressReport, *, item_ids: list[int] | None = None) -> QuerySet[ItemResponse]:
    """The report's items as the editor shows them."""
    items = items_for_editor().filter(report=report)
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    return items


def framework_headings(framework_id: int) -> QuerySet[FrameworkNode]:
    """The non-reportable nodes (phases, principles) that head the items in the editor."""
    return FrameworkNode.objects.filter(framework_id=framework_id, reportable=False).order_by("position")


def stored_evidence_files() -> QuerySet[Evidence]:
    """Every evidence row that points at a stored file, with what names it in a listing."""
    return (
        Evidence.objects.filter(kind=Evidence.Kind.FILE)
        .exclude(storage_name="")
        .select_related("item__report__organisation", "item__report__period__framework")
        .order_by("pk")
    )
