"""A report's items: opening a report with one item per mitigation, recording verdicts. Answering
the items is edits.py.

Each write here locks the report row first (report_lock) and checks its state on that locked row,
so a verdict never slips in beside a transition.
"""

from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, ValidationFailed
from commitments.markdown import plain_text_check
from commitments.models import (
    Commitment,
    Evidence,
    ItemResponse,
    ItemVerdict,
    MetricValue,
    Organisation,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    Verdict,
)
from commitments.services.ledger import ledger_append
from commitments.services.reports.content import decimal_text
from commitments.services.reports.transitions import report_lock
from commitments.vocabulary import LedgerEvent

CARRIED_EVIDENCE_FIELDS = (
    "kind", "title", "effective_date", "visibility", "url", "original_name",
    "storage_name", "sha256", "size_bytes", "media_type",
)  # fmt: skip


# --- creation -------------------------------------------------------------------


@transaction.atomic
def report_create(
    *, organisation: Organisation, period: ReportingPeriod, acting_user: User, carry_forward: bool = False
) -> ProgressReport:
    """Open the organisation's report for a period, one empty item per reportable node.

    With carry_forward, answers come from the organisation's latest published report on the
    same framework (matched by node id) and are marked unchanged until edited.
    """
    access.require(acting_user, access.Action.START_REPORT, organisation)
    if not Commitment.objects.filter(organisation=organisation, framework__key=period.framework.key).exists():
        raise ValidationFailed(f"{organisation} has not signed {period.framework.title}.")
    if ProgressReport.objects.filter(organisation=organisation, period=period).exists():
        raise ValidationFailed(f"{organisation} already has a report for {period.label}.")

    report = ProgressReport.objects.create(organisation=organisation, period=period, created_by=acting_user)
    nodes = list(period.framework.nodes.filter(reportable=True).order_by("position"))
    ItemResponse.objects.bulk_create([ItemResponse(report=report, node=node) for node in nodes])

    carried_from = _carry_forward(report, acting_user) if carry_forward else None
    ledger_append(
        event=LedgerEvent.REPORT_CREATED,
        subject=report,
        actor=acting_user,
        report_id=report.pk,
        data={
            "organisation": organisation.slug,
            "period": period.label,
            "framework": f"{period.framework.key}@{period.framework.version}",
            "items": [node.node_id for node in nodes],
            "carried_forward_from": carried_from["report"] if carried_from else None,
            "carried_items": carried_from["items"] if carried_from else {},
        },
    )
    return report


def _carry_forward(report: ProgressReport, acting_user: User) -> dict[str, Any] | None:
    """Copy answers, metrics and current evidence from the latest published report.

    Evidence files are content-addressed, so a carried entry points at the same stored bytes.
    Returns what was carried, for the ledger, so later diffs know the starting point.
    """
    source = (
        ProgressReport.objects.published()
        .filter(organisation=report.organisation, period__framework__key=report.period.framework.key)
        .exclude(pk=report.pk)
        .order_by("-period__starts_on")
        .first()
    )
    if source is None:
        return None
    previous = {
        item.node.node_id: item
        for item in source.items.select_related("node").prefetch_related(
            "metric_values__metric", Prefetch("evidence", queryset=Evidence.objects.current())
        )
    }
    carried: dict[str, Any] = {}
    for item in report.items.select_related("node").prefetch_related("node__metrics"):
        old = previous.get(item.node.node_id)
        if old is None:
            continue
        item.status = old.status
        item.narrative = old.narrative
        item.areas_needing_progress = old.areas_needing_progress
        item.carried_forward = True
        item.save(update_fields=["status", "narrative", "areas_needing_progress", "carried_forward"])
        metrics = {m.key: m for m in item.node.metrics.all()}
        values = [
            MetricValue(item=item, metric=metrics[v.metric.key], value=v.value, data_source=v.data_source)
            for v in old.metric_values.all()
            if v.metric.key in metrics
        ]
        MetricValue.objects.bulk_create(values)
        evidence = [
            Evidence(
                item=item,
                created_by=acting_user,
                **{name: getattr(entry, name) for name in CARRIED_EVIDENCE_FIELDS},
            )
            for entry in old.evidence.all()
        ]
        Evidence.objects.bulk_create(evidence)
        carried[item.node.node_id] = {
            "status": item.status,
            "narrative": item.narrative,
            "areas_needing_progress": item.areas_needing_progress,
            "metrics": {
                v.metric.key: {"value": decimal_text(v.value), "data_source": v.data_source} for v in values
            },
            "evidence": [{"title": e.title, "sha256": e.sha256, "url": e.url} for e in evidence],
        }
    return {"report": source.pk, "items": carried}


# --- review ---------------------------------------------------------------------------------


@transaction.atomic
def item_verdict_record(
    *, item: ItemResponse, acting_user: User, verdict: str, justification: str
) -> ItemVerdict:
    report = report_lock(item.report_id)
    access.require(acting_user, access.Action.REVIEW, report)
    if report.status != ReportStatus.IN_REVIEW:
        raise InvalidTransition("Verdicts can be recorded only while the report is in review.")
    if verdict not in Verdict.values:
        raise ValidationFailed(f"{verdict!r} is not a verdict.", {"verdict": ["Choose a verdict."]})
    if not justification.strip():
        raise ValidationFailed(
            "A verdict needs a justification.", {"justification": ["Explain the verdict."]}
        )
    plain_text_check(justification, field="justification")
    record = ItemVerdict.objects.create(
        item=item,
        report_revision=report.revision,
        verdict=verdict,
        justification=justification.strip(),
        reviewer=acting_user,
    )
    ledger_append(
        event=LedgerEvent.ITEM_VERDICT_RECORDED,
        subject=record,
        actor=acting_user,
        report_id=report.pk,
        data={
            "node": item.node.node_id,
            "verdict": verdict,
            "justification": record.justification,
            "revision": report.revision,
        },
    )
    return record
