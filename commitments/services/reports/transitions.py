"""The report's state machine: the allowed moves, declared once, and the one function that makes them.

    draft ──────────────┐
                        ├─submit─▶ submitted ─start review─▶ in_review ─request changes─▶ changes_requested
    changes_requested ──┘                                        │
                                                                 └─verify─▶ verified ─publish─▶ published

`report_transition` is the only code that writes ProgressReport.status. It locks the report row
once and uses that locked row for everything: the check against TRANSITIONS, the caller's guard,
the write, and the ledger entry, all in the caller's transaction. It returns the locked, updated
report and leaves the object it was given as it was.

The services here (and report_publish in reports.services, which adds the publication snapshot)
are the moves a person makes: each checks who acts, calls report_transition, queues its side
effects (emails run after commit) with the report it got back, and returns that report.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, ValidationFailed
from commitments.markdown import plain_text_check
from commitments.models import ChangeRequest, ItemResponse, ProgressReport
from commitments.services.ledger import ledger_append
from commitments.services.notifications import report_notify
from commitments.services.reports.content import report_content_digest, report_submission_problems
from commitments.vocabulary import EDITABLE_STATES, LedgerEvent, ReportStatus


@dataclass(frozen=True)
class Transition:
    sources: tuple[ReportStatus, ...]
    event: LedgerEvent  # the ledger event the move appends
    action: str  # what the person does, as refusals say it: "Cannot {action} a report that is …"


# Keyed by the state reached: each state is reached by one kind of move, and none leads back to draft.
TRANSITIONS: Mapping[ReportStatus, Transition] = MappingProxyType(
    {
        ReportStatus.SUBMITTED: Transition(EDITABLE_STATES, LedgerEvent.REPORT_SUBMITTED, "submit"),
        ReportStatus.IN_REVIEW: Transition(
            (ReportStatus.SUBMITTED,), LedgerEvent.REPORT_REVIEW_STARTED, "start reviewing"
        ),
        ReportStatus.CHANGES_REQUESTED: Transition(
            (ReportStatus.IN_REVIEW,), LedgerEvent.REPORT_CHANGES_REQUESTED, "request changes on"
        ),
        ReportStatus.VERIFIED: Transition((ReportStatus.IN_REVIEW,), LedgerEvent.REPORT_VERIFIED, "verify"),
        ReportStatus.PUBLISHED: Transition((ReportStatus.VERIFIED,), LedgerEvent.REPORT_PUBLISHED, "publish"),
    }
)

Guard = Callable[[ProgressReport], None]
Values = Mapping[str, Any] | Callable[[ProgressReport], Mapping[str, Any]]


def report_lock(report_id: int) -> ProgressReport:
    """The report read afresh under a row lock that holds until the caller's transaction ends.

    Every write that depends on the report's state takes it first, so two transitions, or a
    transition and an item edit, never interleave. Only inside a transaction.
    """
    return (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("organisation", "period__framework")
        .get(pk=report_id)
    )


@transaction.atomic
def report_transition(
    *,
    report: ProgressReport,
    to: ReportStatus | str,
    acting_user: User,
    guard: Guard | None = None,
    fields: Values | None = None,
    data: Values | None = None,
) -> ProgressReport:
    """Move the report to `to` along TRANSITIONS; return the locked, updated report.

    A move not in the table raises InvalidTransition before anything is written. `guard(locked)`
    then may refuse by raising. `fields` are saved beside the status and `data` goes into the
    ledger entry; either may be a function of the locked report, for values that depend on its
    state (the next revision).
    """
    to = ReportStatus(to)
    transition = TRANSITIONS.get(to)
    if transition is None:
        raise InvalidTransition(f"Cannot move a report to {to.label.lower()}; no transition leads there.")
    locked = report_lock(report.pk)
    if locked.status not in transition.sources:
        allowed = " or ".join(state.label.lower() for state in transition.sources)
        raise InvalidTransition(
            f"Cannot {transition.action} a report that is {locked.get_status_display().lower()}; "
            f"it must be {allowed}."
        )
    if guard is not None:
        guard(locked)
    changes = dict(_for(locked, fields))
    extra = dict(_for(locked, data))
    previous = locked.status
    locked.status = to
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *changes])
    ledger_append(
        event=transition.event,
        subject=locked,
        actor=acting_user,
        report_id=locked.pk,
        data={"from": previous, "to": to, "revision": locked.revision, **extra},
    )
    return locked


def _for(locked: ProgressReport, values: Values | None) -> Mapping[str, Any]:
    if values is None:
        return {}
    return values(locked) if callable(values) else values


# --- submission -------------------------------------------------------------------------------


def _require_submittable(report: ProgressReport) -> None:
    problems = report_submission_problems(report)
    if problems:
        raise ValidationFailed(
            f"The report cannot be submitted yet: {len(problems)} item(s) need attention.", problems
        )


@transaction.atomic
def report_submit(*, report: ProgressReport, acting_user: User) -> ProgressReport:
    """Draft or changes requested → submitted. Refused with every problem listed per item."""
    access.require(acting_user, access.Action.SUBMIT, report)
    now = timezone.now()
    submitted = report_transition(
        report=report,
        to=ReportStatus.SUBMITTED,
        acting_user=acting_user,
        guard=_require_submittable,
        fields=lambda locked: {
            "revision": locked.revision + 1,
            "submitted_at": now,
            "first_submitted_at": locked.first_submitted_at or now,
        },
        data=lambda locked: {"content_sha256": report_content_digest(locked)},
    )
    report_notify(report=submitted, event=ReportStatus.SUBMITTED)
    return submitted


# --- review -----------------------------------------------------------------------------------


@transaction.atomic
def report_review_start(*, report: ProgressReport, acting_user: User) -> ProgressReport:
    access.require(acting_user, access.Action.REVIEW, report)
    return report_transition(
        report=report,
        to=ReportStatus.IN_REVIEW,
        acting_user=acting_user,
        fields={"reviewer": acting_user},
        data={"reviewer": acting_user.email},
    )


@transaction.atomic
def report_changes_request(
    *, report: ProgressReport, acting_user: User, items: Iterable[ItemResponse], message: str = ""
) -> ProgressReport:
    access.require(acting_user, access.Action.REVIEW, report)
    chosen = {item.pk: item for item in items if item.report_id == report.pk}
    node_ids = sorted(item.node.node_id for item in chosen.values())
    if not node_ids:
        raise ValidationFailed("Name at least one item that needs changes.", {"items": ["Choose items."]})
    plain_text_check(message, field="message")
    message = message.strip()
    sent_back = report_transition(
        report=report,
        to=ReportStatus.CHANGES_REQUESTED,
        acting_user=acting_user,
        data={"items": node_ids, "message": message},
    )
    # The row the pages and emails read, beside the ledger entry and in its transaction: the
    # ledger records that it happened, the table holds what was asked.
    change_request = ChangeRequest.objects.create(
        report=sent_back, revision=sent_back.revision, requested_by=acting_user, message=message
    )
    change_request.items.set(list(chosen))
    report_notify(report=sent_back, event=ReportStatus.CHANGES_REQUESTED, message=change_request.message)
    return sent_back


def report_unreviewed_items(report: ProgressReport) -> list[str]:
    """Node ids of the items with no verdict on the report's current submission."""
    items = ItemResponse.objects.filter(report=report).select_related("node").with_verdicts()
    unreviewed = []
    for item in items:
        item.report = report
        if item.current_verdict is None:
            unreviewed.append(item.node.node_id)
    return unreviewed


def _require_every_verdict(report: ProgressReport) -> None:
    missing = report_unreviewed_items(report)
    if missing:
        raise ValidationFailed(
            f"Every item needs a verdict before the report is verified; {len(missing)} have none.",
            {node_id: ["No verdict for this submission yet."] for node_id in missing},
        )


@transaction.atomic
def report_verify(*, report: ProgressReport, acting_user: User) -> ProgressReport:
    access.require(acting_user, access.Action.REVIEW, report)
    verified = report_transition(
        report=report,
        to=ReportStatus.VERIFIED,
        acting_user=acting_user,
        guard=_require_every_verdict,
        fields={"verified_at": timezone.now()},
    )
    report_notify(report=verified, event=ReportStatus.VERIFIED)
    return verified
