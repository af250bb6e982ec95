"""The organisation follows up a nonconformity's corrective action in its next report (issue 14, item 4).

An attested engagement's findings never change; what the organisation then did about a
nonconformity is its own part of the finding, written in its next report (audits/selectors_follow_up.py
says which report that is). It is written by whoever the access gate lets edit that report, while
the report is editable (a draft, or sent back with changes requested), and can be rewritten until
the report is handed in; it is published with the report. Each save is ledgered in the next
report's history, in the same transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audits.models import Finding
from audits.selectors_follow_up import followable_findings, next_report
from commitments import access
from commitments.errors import InvalidTransition, ValidationFailed
from commitments.markdown import plain_text_problems
from commitments.models import ProgressReport
from commitments.services.ledger import ledger_append
from commitments.services.reports import report_lock
from commitments.vocabulary import EDITABLE_STATES, FindingKind, LedgerEvent

# Words that name nothing of another organisation: a report given here may be anyone's.
NOT_HERE = "This corrective action is not followed up in this report."


@transaction.atomic
def finding_follow_up(*, finding: Finding, report: ProgressReport, text: str, acting_user: User) -> Finding:
    """Write (or rewrite) the follow-up of `finding`'s corrective action in `report`."""
    access.require(acting_user, access.Action.EDIT, report)
    report = report_lock(report.pk)  # no submission while the follow-up is written
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("item__node", "item__report__period__framework", "engagement")
        .get(pk=finding.pk)
    )
    if finding.item.report.organisation_id != report.organisation_id:
        raise InvalidTransition(NOT_HERE)
    if finding.kind != FindingKind.NONCONFORMITY or not finding.corrective_action:
        raise InvalidTransition("Only a nonconformity's corrective action is followed up in the next report.")
    if not followable_findings().filter(pk=finding.pk).exists():
        raise InvalidTransition(
            "The audit engagement is not attested yet: its corrective actions are followed up once it is."
        )
    if finding.followed_up_in_id is not None and finding.followed_up_in_id != report.pk:
        raise InvalidTransition("This corrective action was followed up in another report.")
    if finding.followed_up_in_id is None:
        following = next_report(finding.item.report)
        if following is None or following.pk != report.pk:
            raise InvalidTransition(
                "A corrective action is followed up in the organisation's next report after the audited "
                f"{finding.item.report.period.label} report"
                + (f": the {following.period.label} report." if following is not None else ".")
            )
    if report.status not in EDITABLE_STATES:
        raise InvalidTransition(
            f"The {report.period.label} report is {report.get_status_display().lower()}: the follow-up "
            "can be written only in a draft or after a reviewer requested changes."
        )
    text = (text or "").strip()
    problems = plain_text_problems(text) if text else ["Say what was done about the corrective action."]
    if problems:
        raise ValidationFailed("The follow-up was not saved: see the problem below.", {"text": problems})
    if finding.followed_up_in_id == report.pk and finding.follow_up == text:
        return finding  # nothing changed: nothing to ledger
    rewritten = finding.followed_up_in_id is not None
    finding.followed_up_in = report
    finding.follow_up = text
    finding.followed_up_by = acting_user
    finding.followed_up_at = timezone.now()
    finding.save(update_fields=["followed_up_in", "follow_up", "followed_up_by", "followed_up_at"])
    ledger_append(
        event=LedgerEvent.FINDING_FOLLOWED_UP,
        subject=finding,
        actor=acting_user,
        report_id=report.pk,
        data={
            "engagement": finding.engagement_id,
            "finding": finding.pk,
            "audited_report": finding.item.report_id,
            "audited_period": finding.item.report.period.label,
            "node": finding.item.node.node_id,
            "corrective_action": finding.corrective_action,
            "follow_up": text,
            "rewritten": rewritten,
        },
    )
    return finding
