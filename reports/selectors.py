"""Reads for publication: what the public may see of a report."""

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from commitments.models import (
    Commitment,
    Evidence,
    Organisation,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from commitments.services.ledger import canonical_json
from commitments.services.reports import decimal_text
from reports.models import Publication
from reports.public.matrix import Change, item_changes, snapshot, snapshot_items


def _latest_verdict(item) -> Any:
    verdicts = [v for v in item.verdicts.all() if v.report_revision == item.report.revision]
    return verdicts[-1] if verdicts else None


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
            "items__node__metrics",
            "items__metric_values__metric",
            "items__evidence",
            "items__verdicts",
            "items__company_responses",
        )
        .get(pk=report.pk)
    )
    period = report.period
    items = []
    for item in report.items.all():
        item.report = report
        verdict = _latest_verdict(item)
        evidence = []
        for entry in item.evidence.all():
            if hasattr(entry, "superseded_by"):
                continue
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
                verdict=verdict,
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


# --- program overview -------------------------------------------------------------------------


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
        return self.report.get_status_display() if self.report else "Not started"

    @property
    def state(self) -> str:
        return self.report.status if self.report else "not_started"

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
        .annotate(
            item_total=Count("items"),
            item_answered=Count("items", filter=~Q(items__status="")),
        )
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


# --- corrections ------------------------------------------------------------------------------


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
    old_items = snapshot_items(current)
    new_items = {item["node"]: item for item in live["items"]}
    changed = []
    for node_id in [*new_items, *(k for k in old_items if k not in new_items)]:
        changes = item_changes(old_items.get(node_id), new_items.get(node_id))
        if changes:
            changed.append((node_id, (new_items.get(node_id) or old_items[node_id])["title"], changes))
    old_details = {k: v for k, v in snapshot(current).items() if k != "items"}
    new_details = {k: v for k, v in live.items() if k != "items"}
    return CorrectionPreview(
        report=report,
        current=current,
        differs=hashlib.sha256(text.encode()).hexdigest() != current.snapshot_sha256,
        changed_items=changed,
        details_changed=old_details != new_details,
    )
