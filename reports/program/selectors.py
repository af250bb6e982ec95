"""Reads of the program pages: the per-period overview of every committed organisation, and
what a correction of a published report would change."""

import datetime
import hashlib
import json
from dataclasses import dataclass, field

from django.utils import timezone

from commitments.models import Commitment, Organisation, ProgressReport, ReportingPeriod, ReportStatus
from commitments.services.ledger import canonical_json
from commitments.vocabulary import NO_REPORT
from reports.models import Publication
from reports.public.changes import Change, changed_items
from reports.public.snapshots import snapshot, snapshot_items
from reports.selectors import report_public_snapshot


@dataclass
class OverviewRow:
    """One committed organisation's standing in a reporting period."""

    organisation: Organisation
    report: ProgressReport | None
    answered: int
    total: int
    overdue: bool
    late: bool = False  # first submitted after the due date

    @property
    def state_label(self) -> str:
        return self.report.get_status_display() if self.report else NO_REPORT.label

    @property
    def state(self) -> str:
        return self.report.status if self.report else NO_REPORT.value

    @property
    def completion_percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def period_choices() -> list[ReportingPeriod]:
    """Every reporting period, latest first, for the overview's period picker."""
    return list(ReportingPeriod.objects.select_related("framework").order_by("-starts_on", "-due_on", "-pk"))


def program_overview(*, period: ReportingPeriod, today: datetime.date | None = None) -> list[OverviewRow]:
    """Every organisation that signed the period's framework, with its report for the period.

    Two queries whatever the number of organisations: commitments, then reports with their
    item counts. A report is overdue when the due date has passed and it was never submitted.
    """
    today = today or timezone.localdate()
    commitments = (
        Commitment.objects.filter(framework__key=period.framework.key)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    organisations: dict[int, Organisation] = {}
    for commitment in commitments:
        organisations.setdefault(commitment.organisation_id, commitment.organisation)
    reports = {
        report.organisation_id: report
        for report in ProgressReport.objects.filter(period=period, organisation_id__in=list(organisations))
        .select_related("reviewer")
        .with_completion()
    }
    past_due = period.due_on < today
    rows = []
    for org_id, organisation in organisations.items():
        report = reports.get(org_id)
        if report is not None:
            report.period = period  # the reference printed per row needs the period's label
        never_submitted = report is None or (report.status == ReportStatus.DRAFT and not report.submitted_at)
        rows.append(
            OverviewRow(
                organisation=organisation,
                report=report,
                answered=report.item_answered if report else 0,
                total=report.item_total if report else 0,
                overdue=past_due and never_submitted,
                late=bool(
                    report
                    and report.first_submitted_at
                    and timezone.localdate(report.first_submitted_at) > period.due_on
                ),
            )
        )
    return rows


@dataclass
class CorrectionPreview:
    """What a correction of a published report would publish, against its current version."""

    report: ProgressReport
    current: Publication | None
    # The same test publication_correct applies: would the new snapshot differ from the current one?
    differs: bool = False
    changed_items: list[tuple[str, str, list[Change]]] = field(default_factory=list)
    # Report-level fields of the snapshot (reference, revision, verification date...).
    details_changed: bool = False


def correction_preview(report: ProgressReport) -> CorrectionPreview:
    """The report as it would be published now, compared item by item with its current version
    (`current` is None when the report is not published)."""
    current = Publication.objects.current().filter(report=report).first()
    if current is None:
        return CorrectionPreview(report=report, current=None)
    # Through canonical JSON, as publication stores it, so values compare exactly as published.
    text = canonical_json(report_public_snapshot(report))
    live = json.loads(text)
    changed = changed_items(snapshot_items(current), {item["node"]: item for item in live["items"]})
    old_details = {k: v for k, v in snapshot(current).items() if k != "items"}
    new_details = {k: v for k, v in live.items() if k != "items"}
    return CorrectionPreview(
        report=report,
        current=current,
        differs=hashlib.sha256(text.encode()).hexdigest() != current.snapshot_sha256,
        changed_items=changed,
        details_changed=old_details != new_details,
    )
