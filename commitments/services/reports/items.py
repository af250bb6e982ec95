"""A report's items: opening a report with one item per mitigation, answering them, recording verdicts.

Each write here locks the report row first (report_lock) and checks its state on that locked row,
so an edit or a verdict never slips in beside a transition.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, StaleEdit, ValidationFailed
from commitments.markdown import markdown_problems, plain_text_check, plain_text_problems
from commitments.models import (
    Commitment,
    Evidence,
    ImplementationStatus,
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
from commitments.services.reports.transitions import EDITABLE_STATES, report_lock
from commitments.vocabulary import LedgerEvent

CARRIED_EVIDENCE_FIELDS = (
    "kind", "title", "effective_date", "visibility", "url", "original_name",
    "storage_name", "sha256", "size_bytes", "media_type",
)  # fmt: skip
_UNSET: Any = object()


@dataclass(frozen=True)
class MetricInput:
    value: Decimal | str | int | None
    data_source: str = ""


# --- creation and editing -------------------------------------------------------------------


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


def _parse_decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{raw!r} is not a number")
    return value


@transaction.atomic
def item_update(
    *,
    item: ItemResponse,
    acting_user: User,
    expected_version: int,
    status: str = _UNSET,
    narrative: str = _UNSET,
    areas_needing_progress: str = _UNSET,
    metrics: dict[str, MetricInput] | None = None,
) -> ItemResponse:
    """Save one item and return it as saved; the `item` given is left as it was.

    Refused with StaleEdit when someone saved it since `expected_version`.
    """
    report = report_lock(item.report_id)
    access.require(acting_user, access.Action.EDIT, report)
    if report.status not in EDITABLE_STATES:
        raise InvalidTransition(
            f"The report is {report.get_status_display().lower()}; items can be edited only in a draft "
            "or after a reviewer requested changes."
        )
    current = ItemResponse.objects.select_for_update().get(pk=item.pk)
    if current.version != expected_version:
        raise StaleEdit(
            f"{current.updated_by or 'Someone'} saved this item after you opened it "
            f"(version {current.version}, yours was {expected_version})."
        )

    problems: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if status is not _UNSET:
        if status not in ImplementationStatus.values and status != "":
            problems.setdefault("status", []).append(f"{status!r} is not an implementation status.")
        elif status != current.status:
            changes["status"] = status
    for name, value in (("narrative", narrative), ("areas_needing_progress", areas_needing_progress)):
        if value is not _UNSET and value != getattr(current, name):
            # Checked only when changed: text saved before the limits still renders (as plain text).
            problems.setdefault(name, []).extend(markdown_problems(value))
            changes[name] = value

    metric_changes: dict[str, dict[str, str | None]] = {}
    if metrics:
        definitions = {m.key: m for m in current.node.metrics.all()}
        existing = {v.metric.key: v for v in current.metric_values.select_related("metric")}
        for key, given in metrics.items():
            definition = definitions.get(key)
            if definition is None:
                problems.setdefault(f"metric:{key}", []).append(
                    f"{current.node.node_id} has no metric {key!r}."
                )
                continue
            try:
                value = _parse_decimal(given.value)
            except ValueError as exc:
                problems.setdefault(f"metric:{key}", []).append(f"{definition.name}: {exc}.")
                continue
            if definition.unit == "percent" and value is not None and not (0 <= value <= 100):
                problems.setdefault(f"metric:{key}", []).append(
                    f"{definition.name} must be between 0 and 100."
                )
                continue
            source = (given.data_source or "").strip()
            if too_long := plain_text_problems(source):
                problems.setdefault(f"metric:{key}", []).extend(
                    f"{definition.name}, data source: {problem}" for problem in too_long
                )
                continue
            row = existing.get(key)
            if row is not None and row.value == value and row.data_source == source:
                continue
            if row is None:
                row = MetricValue(item=current, metric=definition)
            row.value, row.data_source = value, source
            row.save()
            metric_changes[key] = {"value": decimal_text(value), "data_source": source}
    problems = {name: found for name, found in problems.items() if found}
    if problems:
        raise ValidationFailed("Some fields are not valid.", problems)

    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    current.carried_forward = False
    current.updated_by = acting_user
    current.save()
    if changes or metric_changes:
        ledger_append(
            event=LedgerEvent.ITEM_UPDATED,
            subject=current,
            actor=acting_user,
            report_id=report.pk,
            data={
                "node": current.node.node_id,
                "version": current.version,
                "changes": changes,
                "metrics": metric_changes,
            },
        )
    return current


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
