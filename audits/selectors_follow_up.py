"""Reads for following up a nonconformity's corrective action in the organisation's next report
(issue 14, item 4; the write is audits/services/follow_up.py).

The next report of an audited report is the organisation's first report on the same framework
for a later reporting period. "The same framework" is its key, not its version: a new version of
the framework continues the old one, as carrying answers forward does (commitments.services.reports),
and the follow-up sits on the item of the same node id. Until a corrective action is followed up
it waits in that next report; once it is, `Finding.followed_up_in` names the report it was
followed up in, and that stays so even if an earlier report is opened later.

Only what an attested engagement found is followed up: a nonconformity with a corrective action,
in an engagement with a current attestation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from audits.models import Attestation, Finding
from commitments.models import Organisation, ProgressReport, ReportingPeriod
from commitments.vocabulary import EDITABLE_STATES, FindingKind, ReportStatus


def followable_findings() -> QuerySet[Finding]:
    """Nonconformities with a corrective action, in an engagement with a current attestation."""
    return Finding.objects.filter(
        kind=FindingKind.NONCONFORMITY,
        engagement__in=Attestation.objects.current().values("engagement"),
    ).exclude(corrective_action="")


def next_report(report: ProgressReport) -> ProgressReport | None:
    """The organisation's first report on the report's framework for a later period, if it has one."""
    return (
        ProgressReport.objects.filter(
            organisation_id=report.organisation_id,
            period__framework__key=report.period.framework.key,
            period__starts_on__gt=report.period.starts_on,
        )
        .select_related("organisation", "period__framework")
        .order_by("period__starts_on", "pk")
        .first()
    )


def report_follow_ups(report: ProgressReport) -> list[Finding]:
    """The corrective actions `report` follows up: those followed up in it, and those followed up
    nowhere yet whose audited report's next report it is. Oldest audit first; one query."""
    period = report.period
    same_framework = {
        "organisation_id": report.organisation_id,
        "period__framework__key": period.framework.key,
    }
    # A report of the organisation between the audited one and this one is the next report instead.
    between = ProgressReport.objects.filter(
        period__starts_on__gt=OuterRef("item__report__period__starts_on"),
        period__starts_on__lt=period.starts_on,
        **same_framework,
    )
    waiting = Q(
        followed_up_in__isnull=True,
        item__report__organisation_id=report.organisation_id,
        item__report__period__framework__key=period.framework.key,
        item__report__period__starts_on__lt=period.starts_on,
    ) & ~Exists(between)
    return list(
        followable_findings()
        .filter(Q(followed_up_in=report) | waiting)
        .select_related("engagement", "item__node", "item__report__period", "followed_up_by")
        .order_by("item__report__period__starts_on", "item__node__position", "pk")
    )


def published_follow_ups(report_id: int) -> dict[str, list[Finding]]:
    """Node id → the corrective actions followed up in a published report, with what was written
    and `attestation_id` (the engagement's current attestation), for its public item pages. Empty
    for a report not published (nothing shows before). One query."""
    current = Attestation.objects.current().filter(engagement=OuterRef("engagement")).order_by("-signed_at")
    findings = (
        followable_findings()
        .filter(followed_up_in_id=report_id, followed_up_in__status=ReportStatus.PUBLISHED)
        .exclude(follow_up="")
        .annotate(attestation_id=Subquery(current.values("pk")[:1]))
        .select_related("engagement", "item__node", "item__report__period")
        .order_by("item__report__period__starts_on", "pk")
    )
    found: dict[str, list[Finding]] = {}
    for finding in findings:
        found.setdefault(finding.item.node.node_id, []).append(finding)
    return found


# --- the officers' dashboard ------------------------------------------------------------------


def open_corrective_actions(organisation: Organisation) -> QuerySet[Finding]:
    """The organisation's corrective actions not followed up yet: what its officers follow up in
    their next report."""
    return (
        followable_findings()
        .filter(item__report__organisation=organisation, followed_up_in__isnull=True)
        .select_related("item__node", "item__report__period__framework", "engagement")
        .order_by("-item__report__period__starts_on", "item__node__position")
    )


@dataclass
class CorrectiveAction:
    """A corrective action to follow up, with where: the next report, or the period to start it for."""

    finding: Finding
    next_report: ProgressReport | None
    next_period: ReportingPeriod | None  # when there is no next report yet (None: no later period either)

    @property
    def open(self) -> bool:
        """Whether the next report can take the follow-up now."""
        return self.next_report is not None and self.next_report.status in EDITABLE_STATES

    @property
    def may_reopen(self) -> bool:
        """Whether the next report, handed in, can still come back for changes (it is not published)."""
        return self.next_report is not None and self.next_report.status != ReportStatus.PUBLISHED


def corrective_actions_to_follow_up(organisation: Organisation) -> list[CorrectiveAction]:
    """Each open corrective action of the organisation with where it is followed up.

    One query when there is none, three otherwise, however many there are.
    """
    findings = list(open_corrective_actions(organisation))
    if not findings:
        return []
    keys = {finding.item.report.period.framework.key for finding in findings}
    reports = list(
        ProgressReport.objects.filter(organisation=organisation, period__framework__key__in=keys)
        .select_related("period__framework")
        .order_by("period__starts_on", "pk")
    )
    periods = list(
        ReportingPeriod.objects.filter(framework__key__in=keys)
        .select_related("framework")
        .order_by("starts_on", "pk")
    )
    rows = []
    for finding in findings:
        audited = finding.item.report.period
        rows.append(
            CorrectiveAction(
                finding=finding,
                next_report=_first_after(reports, audited, lambda r: r.period),
                next_period=_first_after(periods, audited, lambda p: p),
            )
        )
    return rows


def _first_after(rows, audited: ReportingPeriod, period_of):
    """The first of `rows` (sorted by period start) on the audited period's framework, after it."""
    return next(
        (
            row
            for row in rows
            if period_of(row).framework.key == audited.framework.key
            and period_of(row).starts_on > audited.starts_on
        ),
        None,
    )
