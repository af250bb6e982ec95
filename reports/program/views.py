"""Program staff pages: the per-period overview, its CSV download, publication and corrections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from commitments import access
from commitments.access import Action
from commitments.errors import DomainError, InvalidTransition, NotAllowed
from commitments.models import ReportingPeriod, ReportStatus
from commitments.vocabulary import UNDER_REVIEW
from reports.program.exports import overview_csv_write
from reports.program.forms import CorrectionForm
from reports.program.selectors import correction_preview, period_choices, program_overview
from reports.public.matrix import report_url
from reports.services import publication_correct, report_publish


def _chosen_period(request: HttpRequest, periods: list[ReportingPeriod]) -> ReportingPeriod | None:
    wanted = request.GET.get("period", "")
    if not wanted:
        return periods[0] if periods else None
    if not wanted.isdigit():
        raise Http404("No such reporting period.")
    for period in periods:
        if period.pk == int(wanted):
            return period
    raise Http404("No such reporting period.")


@require_GET
@login_required
def overview_view(request: HttpRequest) -> HttpResponse:
    access.program_for(request.user, action=Action.PROGRAM_OVERVIEW)
    periods = period_choices()
    return _render_overview(request, periods, _chosen_period(request, periods))


def _render_overview(
    request: HttpRequest, periods: list[ReportingPeriod], period: ReportingPeriod | None, status: int = 200
) -> HttpResponse:
    rows = program_overview(period=period) if period else []
    user = request.user
    for row in rows:
        row.can_publish = (
            row.report is not None
            and row.report.status == ReportStatus.VERIFIED
            and access.can(user, Action.PUBLISH, row.report)
        )
        row.can_correct = (
            row.report is not None
            and row.report.status == ReportStatus.PUBLISHED
            and access.can(user, Action.CORRECT, row.report)
        )
    counts = {
        "committed": len(rows),
        "not_started": sum(1 for r in rows if r.report is None),
        "overdue": sum(1 for r in rows if r.overdue),
        "in_review": sum(1 for r in rows if r.state in UNDER_REVIEW),
        "to_publish": sum(1 for r in rows if r.state == ReportStatus.VERIFIED),
        "published": sum(1 for r in rows if r.state == ReportStatus.PUBLISHED),
    }
    return render(
        request,
        "program/overview.html",
        {
            "periods": periods,
            "period": period,
            "rows": rows,
            "counts": counts,
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_GET
@login_required
def overview_csv_view(request: HttpRequest) -> HttpResponse:
    access.program_for(request.user, action=Action.PROGRAM_OVERVIEW)
    periods = period_choices()
    period = _chosen_period(request, periods)
    if period is None:
        raise Http404("No reporting period exists yet.")
    filename = f"pledgeproof-overview-{period.framework.key}-{period.label}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    overview_csv_write(response, period=period)
    return response


@require_POST
@login_required
def report_publish_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.report_for(request.user, report_id, action=Action.PUBLISH)
    back = reverse("reports:overview") + f"?period={report.period_id}"
    try:
        publication = report_publish(report=report, acting_user=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except DomainError as exc:
        # Someone else published it meanwhile, or it is no longer verified: say so, as a conflict.
        messages.error(request, str(exc))
        periods = period_choices()
        period = next((p for p in periods if p.pk == report.period_id), None)
        return _render_overview(request, periods, period, status=409)
    messages.success(
        request,
        f"Published {report.organisation}'s {report.period.label} report (version {publication.version}).",
    )
    return redirect(back)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_correct_view(request: HttpRequest, report_id: int) -> HttpResponse:
    """A published report's correction: a reason, a confirmation, then a new public version."""
    report = access.report_for(request.user, report_id, action=Action.CORRECT)
    preview = correction_preview(report)
    next_version = preview.current.version + 1 if preview.current else None
    form = CorrectionForm(request.POST if request.method == "POST" else None, next_version=next_version)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                publication = publication_correct(
                    report=report, acting_user=request.user, reason=form.cleaned_data["reason"]
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except DomainError as exc:
                # Not published (any more), or nothing to correct: said on the form, reason kept.
                form.add_error(None, str(exc))
                status = 409 if isinstance(exc, InvalidTransition) else 400
            else:
                messages.success(
                    request,
                    f"Published version {publication.version} of {report.organisation}'s "
                    f"{report.period.label} report, correcting version {publication.version - 1}. "
                    "The corrections log shows the reason.",
                )
                return redirect(report_url(publication))
    return render(
        request,
        "program/correct.html",
        {
            "report": report,
            "preview": preview,
            "form": form,
            "overview_url": reverse("reports:overview") + f"?period={report.period_id}",
            "public_url": report_url(preview.current) if preview.current else "",
        },
        status=status,
    )
