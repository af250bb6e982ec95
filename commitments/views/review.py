"""Review pages: the reviewer's queue, a report under review, and a report's history.

Officers and members of the organisation open the same report page read-only; officers and
contributors may comment, and after verification officers write the company response.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from audits.models import Finding
from audits.selectors_follow_up import report_follow_ups
from commitments import access
from commitments.access import Action
from commitments.errors import DomainError, InvalidTransition, NotAllowed, StaleEdit, ValidationFailed
from commitments.models import (
    Evidence,
    ItemResponse,
    ProgressReport,
    ReportStatus,
    Verdict,
)
from commitments.selectors_review import (
    ItemChanges,
    Resubmission,
    report_history,
    report_items_for_review,
    report_resubmission_changes,
    reports_for_review,
    review_queue,
)
from commitments.services.reports import (
    item_verdict_record,
    report_changes_request,
    report_review_start,
    report_verify,
)
from commitments.services.reviews import comment_add, company_response_add
from commitments.vocabulary import UNDER_REVIEW, counts_as_verified

ERROR_STATUS = {NotAllowed: 403, InvalidTransition: 409, StaleEdit: 409, ValidationFailed: 400}


def _error_status(exc: DomainError) -> int:
    for kind, status in ERROR_STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


# --- access: every object through the gate ------------------------------------------------------


def _report(request: HttpRequest, report_id: int, action: Action) -> ProgressReport:
    return access.report_for(request.user, report_id, action=action, queryset=reports_for_review())


def _item(request: HttpRequest, report_id: int, item_id: int, action: Action) -> ItemResponse:
    return access.item_for(request.user, report_id, item_id, action=action, reports=reports_for_review())


# --- page state -----------------------------------------------------------------------------


@dataclass
class Permissions:
    """What the page offers: who may, from the access gate; whether it is open now, from the state."""

    can_review: bool
    reviewing: bool
    can_start: bool
    can_comment: bool
    can_respond: bool
    role: str | None
    review_refusal: str | None  # why a reviewer may not review this one (they belong to it)

    @classmethod
    def for_user(cls, user: Any, report: ProgressReport) -> "Permissions":
        can_review = access.can(user, Action.REVIEW, report)
        role = access.membership_role(user, report.organisation)
        return cls(
            can_review=can_review,
            reviewing=can_review and report.status == ReportStatus.IN_REVIEW,
            can_start=can_review and report.status == ReportStatus.SUBMITTED,
            can_comment=access.can(user, Action.COMMENT, report) and report.status != ReportStatus.PUBLISHED,
            can_respond=access.can(user, Action.RESPOND, report) and report.status == ReportStatus.VERIFIED,
            role=role,
            review_refusal=access.conflict(user, Action.REVIEW, report),
        )


@dataclass
class FormState:
    """What one item's forms show after a failed POST: the message, errors and the input."""

    form: str = ""
    message: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    notice: str = ""


@dataclass
class ItemCard:
    item: ItemResponse
    metrics: list[tuple[Any, Any]]
    evidence: list[Evidence]
    verdict: Any
    earlier_verdicts: list[Any]
    changes: ItemChanges | None
    change_requested: bool
    state: FormState
    missing_verdict: bool = False
    follow_ups: list[Finding] = field(default_factory=list)  # audit corrective actions followed up here

    @property
    def suggest_changes(self) -> bool:
        """Pre-tick the item in "request changes" when its verdict is anything but verified."""
        return self.verdict is not None and not counts_as_verified(self.verdict.verdict)


def _card(
    item: ItemResponse,
    resubmission: Resubmission | None,
    state: FormState | None = None,
    missing: set[str] | None = None,
    follow_ups: dict[str, list[Finding]] | None = None,
) -> ItemCard:
    values = {v.metric_id: v for v in item.metric_values.all()}
    verdicts = list(item.verdicts.all())
    latest = item.current_verdict
    node_id = item.node.node_id
    return ItemCard(
        item=item,
        metrics=[
            (metric, values.get(metric.pk), _number(values.get(metric.pk)))
            for metric in item.node.metrics.all()
        ],
        evidence=list(item.evidence.all()),
        verdict=latest,
        earlier_verdicts=[v for v in reversed(verdicts) if latest is None or v.pk != latest.pk],
        changes=resubmission.items.get(node_id) if resubmission else None,
        change_requested=bool(resubmission and node_id in resubmission.requested_items),
        state=state or FormState(),
        missing_verdict=bool(missing and node_id in missing),
        follow_ups=(follow_ups or {}).get(node_id, []),
    )


def _number(row: Any) -> str:
    """A metric value without the storage's trailing zeros and never in exponent form."""
    if row is None or row.value is None:
        return ""
    return format(row.value.normalize(), "f")


def _resubmission(report: ProgressReport) -> Resubmission | None:
    # Only while the resubmission is being reviewed; afterwards the history page tells the story.
    if report.revision < 2 or report.status not in UNDER_REVIEW:
        return None
    return report_resubmission_changes(report=report)


def _follow_ups(report: ProgressReport) -> dict[str, list[Finding]]:
    """Node id → the corrective actions of earlier audits this report follows up (or should)."""
    found: dict[str, list[Finding]] = {}
    for finding in report_follow_ups(report):
        found.setdefault(finding.item.node.node_id, []).append(finding)
    return found


def _render_page(
    request: HttpRequest,
    report: ProgressReport,
    *,
    status: int = 200,
    item_states: dict[int, FormState] | None = None,
    problems: dict[str, list[str]] | None = None,
    changes_form: FormState | None = None,
) -> HttpResponse:
    perms = Permissions.for_user(request.user, report)
    resubmission = _resubmission(report)
    items = report_items_for_review(report=report)
    missing = set(problems or {})
    follow_ups = _follow_ups(report)
    cards = [
        _card(item, resubmission, (item_states or {}).get(item.pk), missing, follow_ups) for item in items
    ]
    verdict_count = sum(1 for card in cards if card.verdict is not None)
    titles = {item.node.node_id: item.node.title for item in items}
    changes_form = changes_form or FormState()
    if changes_form.form:
        selected = {int(pk) for pk in changes_form.values.get("items", "").split(",") if pk}
    else:
        selected = {card.item.pk for card in cards if card.suggest_changes}
    context = {
        "report": report,
        "perms": perms,
        "cards": cards,
        "verdict_count": verdict_count,
        "all_have_verdicts": verdict_count == len(cards),
        "resubmission": resubmission,
        "requested_titles": [
            (n, titles.get(n, n)) for n in (resubmission.requested_items if resubmission else [])
        ],
        "problems": [(node, titles.get(node, node), msgs) for node, msgs in (problems or {}).items()],
        "changes_form": changes_form,
        "selected_ids": selected,
        "under_review": report.status in UNDER_REVIEW,
        "verdict_choices": Verdict.choices,
    }
    return render(request, "review/report.html", context, status=status)


def _render_item(
    request: HttpRequest, report: ProgressReport, item: ItemResponse, *, status: int = 200, state: FormState
) -> HttpResponse:
    (fresh,) = report_items_for_review(report=report, item_ids=[item.pk])
    resubmission = _resubmission(report)
    context = {
        "report": report,
        "perms": Permissions.for_user(request.user, report),
        "resubmission": resubmission,
        "card": _card(fresh, resubmission, state, follow_ups=_follow_ups(report)),
        "verdict_choices": Verdict.choices,
    }
    return render(request, "review/_item.html", context, status=status)


def _item_anchor(report: ProgressReport, item: ItemResponse) -> str:
    return reverse("commitments:report_review", args=[report.pk]) + f"#item-{item.pk}"


def _item_post(
    request: HttpRequest, report: ProgressReport, item: ItemResponse, *, form: str, action, success: str
) -> HttpResponse:
    """Run an item-level service; answer htmx with the item fragment, plain forms with a redirect."""
    values = {key: request.POST.get(key, "") for key in ("verdict", "justification", "body")}
    try:
        action(values)
    except DomainError as exc:
        status = _error_status(exc)
        errors = getattr(exc, "problems", {}) or {}
        state = FormState(form=form, message=str(exc), errors=errors, values=values)
        if request.htmx:
            return _render_item(request, report, item, status=status, state=state)
        return _render_page(request, report, status=status, item_states={item.pk: state})
    if request.htmx:
        return _render_item(request, report, item, state=FormState(form=form, notice=success))
    messages.success(request, success)
    return redirect(_item_anchor(report, item))


# --- queue ----------------------------------------------------------------------------------


@require_GET
@login_required
def review_queue_view(request: HttpRequest) -> HttpResponse:
    access.program_for(request.user, action=Action.REVIEW_QUEUE)
    reports = list(review_queue(user=request.user))
    return render(
        request,
        "review/queue.html",
        {
            "reports": reports,
            "waiting": sum(1 for r in reports if r.status == ReportStatus.SUBMITTED),
            "mine": sum(1 for r in reports if r.reviewer_id == request.user.pk),
        },
    )


# --- report page and its actions --------------------------------------------------------------


@require_GET
@login_required
def report_review_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.READ)
    return _render_page(request, report)


def _report_action(request: HttpRequest, report: ProgressReport, action, success: str, done_url: str):
    try:
        action()
    except ValidationFailed as exc:
        messages.error(request, str(exc))
        return _render_page(request, report, status=400, problems=exc.problems)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _render_page(request, report, status=_error_status(exc))
    messages.success(request, success)
    return redirect(done_url)


@require_POST
@login_required
def review_start_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.REVIEW)
    return _report_action(
        request,
        report,
        lambda: report_review_start(report=report, acting_user=request.user),
        "Review started. You are the report's reviewer.",
        reverse("commitments:report_review", args=[report.pk]),
    )


@require_POST
@login_required
def review_verify_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.REVIEW)
    return _report_action(
        request,
        report,
        lambda: report_verify(report=report, acting_user=request.user),
        f"{report.organisation}'s report is verified. The officers can now add their response.",
        reverse("commitments:report_review", args=[report.pk]),
    )


@require_POST
@login_required
def review_request_changes_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.REVIEW)
    wanted = {int(pk) for pk in request.POST.getlist("items") if pk.isdigit()}
    items = list(ItemResponse.objects.filter(report=report, pk__in=wanted).select_related("node"))
    message = request.POST.get("message", "")
    try:
        report_changes_request(report=report, acting_user=request.user, items=items, message=message)
    except DomainError as exc:
        messages.error(request, str(exc))
        state = FormState(
            form="changes",
            message=str(exc),
            errors=getattr(exc, "problems", {}) or {},
            values={"message": message, "items": ",".join(str(pk) for pk in sorted(wanted))},
        )
        return _render_page(request, report, status=_error_status(exc), changes_form=state)
    messages.success(
        request,
        f"Changes requested on {len(items)} item(s). {report.organisation}'s officers have been told.",
    )
    return redirect("commitments:review_queue")


@require_POST
@login_required
def review_item_verdict_view(request: HttpRequest, report_id: int, item_id: int) -> HttpResponse:
    item = _item(request, report_id, item_id, Action.REVIEW)
    report = item.report

    def action(values: dict[str, str]) -> None:
        item_verdict_record(
            item=item,
            acting_user=request.user,
            verdict=values["verdict"],
            justification=values["justification"],
        )

    return _item_post(request, report, item, form="verdict", action=action, success="Verdict recorded.")


@require_POST
@login_required
def review_item_comment_view(request: HttpRequest, report_id: int, item_id: int) -> HttpResponse:
    item = _item(request, report_id, item_id, Action.COMMENT)
    report = item.report

    def action(values: dict[str, str]) -> None:
        comment_add(item=item, acting_user=request.user, body=values["body"])

    return _item_post(request, report, item, form="comment", action=action, success="Comment added.")


@require_POST
@login_required
def review_item_response_view(request: HttpRequest, report_id: int, item_id: int) -> HttpResponse:
    item = _item(request, report_id, item_id, Action.RESPOND)
    report = item.report

    def action(values: dict[str, str]) -> None:
        company_response_add(item=item, acting_user=request.user, body=values["body"])

    return _item_post(
        request, report, item, form="response", action=action, success="Company response added."
    )


# --- history --------------------------------------------------------------------------------


@require_GET
@login_required
def report_history_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.READ)
    return render(
        request,
        "review/history.html",
        {"report": report, "rows": report_history(report=report)},
    )
