"""Signed PDF documents in the web app: list, generate, watch while pending, retry, download.

Retry is offered for a failed PDF and for one stuck pending (`ReportArtifact.objects.stuck()`: its
rendering died), to whoever may generate that kind of PDF.

Who sees what is the access gate's (commitments.access, its DOCUMENTS rules): a report's public
PDF for anyone who may read the report or the program's documents (and it is public once
published, see /verify/); its audit PDF only for reviewers, program admins and auditors outside
the organisation; the program summary of a period for program staff and auditors (it holds only
published data, so anyone may download it from /verify/documents/).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from commitments import access
from commitments.access import Action
from commitments.errors import DomainError
from commitments.models import ProgressReport, ReportingPeriod, ReportStatus
from reports.models import ArtifactKind, ArtifactStatus, ReportArtifact
from reports.pdf.responses import artifact_file_response
from reports.pdf.selectors import REPORT_KINDS, period_summaries, report_documents, visible_report_kinds
from reports.pdf.services import artifact_request, artifact_retry

# How often a page with a pending PDF asks again, in seconds (htmx, or a meta refresh without JS).
POLL_SECONDS = 2


@dataclass
class KindPanel:
    kind: ArtifactKind
    artifacts: list[ReportArtifact]
    can_generate: bool
    blocked_reason: str

    @property
    def pending(self) -> bool:
        return any(a.status == ArtifactStatus.PENDING for a in self.artifacts)


def _report_panels(user, report: ProgressReport) -> list[KindPanel]:
    kinds = visible_report_kinds(user, report)
    artifacts = list(report_documents(user, report))
    panels = []
    for kind in kinds:
        blocked = ""
        if kind == ArtifactKind.PUBLIC and report.status != ReportStatus.PUBLISHED:
            blocked = (
                "The public PDF is made from the published report; it exists once the report is published."
            )
        panels.append(
            KindPanel(
                kind=kind,
                artifacts=[a for a in artifacts if a.kind == kind],
                can_generate=not blocked and access.can_document(user, kind, Action.REQUEST_PDF, report),
                blocked_reason=blocked,
            )
        )
    return panels


def _poll_context(panels) -> dict:
    return {"pending": any(p.pending for p in panels), "poll_seconds": POLL_SECONDS}


@require_GET
@login_required
def report_documents_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.report_for(request.user, report_id, action=Action.READ_DOCUMENTS)
    panels = _report_panels(request.user, report)
    context = {"report": report, "panels": panels, **_poll_context(panels)}
    if request.htmx:
        return render(request, "documents/_panels.html", context)
    return render(request, "documents/report.html", context)


@require_POST
@login_required
def report_document_generate_view(request: HttpRequest, report_id: int, kind: str) -> HttpResponse:
    if kind not in REPORT_KINDS:
        raise Http404("No such document kind.")
    action = access.document_action(kind, Action.REQUEST_PDF)
    report = access.report_for(request.user, report_id, action=action)
    try:
        artifact = artifact_request(kind=kind, acting_user=request.user, report=report)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{artifact.document_id} is being generated; this page updates when it is ready."
        )
    return redirect("documents:report", report_id=report.pk)


def _summary_panel(user, period: ReportingPeriod) -> KindPanel:
    artifacts = list(period_summaries(period))
    return KindPanel(
        kind=ArtifactKind.SUMMARY,
        artifacts=artifacts,
        can_generate=access.can_document(user, ArtifactKind.SUMMARY, Action.REQUEST_PDF, period),
        blocked_reason="",
    )


@require_GET
@login_required
def documents_index_view(request: HttpRequest) -> HttpResponse:
    """Program staff and auditors: verified and published reports and each period's summary."""
    access.program_for(request.user, action=Action.READ_DOCUMENTS)
    periods = list(ReportingPeriod.objects.select_related("framework").order_by("-starts_on", "-pk"))
    reports = list(
        ProgressReport.objects.filter(status__in=[ReportStatus.VERIFIED, ReportStatus.PUBLISHED])
        .select_related("organisation", "period__framework")
        .order_by("-period__starts_on", "organisation__name")
    )
    ready = {}
    for artifact in ReportArtifact.objects.ready().filter(report__in=reports).order_by("version"):
        ready[(artifact.report_id, artifact.kind)] = artifact  # newest version wins
    rows = [
        {
            "report": report,
            "public": ready.get((report.pk, ArtifactKind.PUBLIC)),
            "audit": ready.get((report.pk, ArtifactKind.AUDIT))
            if access.can_document(request.user, ArtifactKind.AUDIT, Action.READ, report)
            else None,
        }
        for report in reports
    ]
    return render(request, "documents/index.html", {"periods": periods, "rows": rows})


@require_GET
@login_required
def period_documents_view(request: HttpRequest, period_id: int) -> HttpResponse:
    action = access.document_action(ArtifactKind.SUMMARY, Action.READ)
    period = access.period_for(request.user, period_id, action=action)
    panels = [_summary_panel(request.user, period)]
    context = {"period": period, "panels": panels, **_poll_context(panels)}
    if request.htmx:
        return render(request, "documents/_panels.html", context)
    return render(request, "documents/period.html", context)


@require_POST
@login_required
def period_summary_generate_view(request: HttpRequest, period_id: int) -> HttpResponse:
    action = access.document_action(ArtifactKind.SUMMARY, Action.REQUEST_PDF)
    period = access.period_for(request.user, period_id, action=action)
    artifact = artifact_request(kind=ArtifactKind.SUMMARY, acting_user=request.user, period=period)
    messages.success(
        request, f"{artifact.document_id} is being generated; this page updates when it is ready."
    )
    return redirect("documents:period", period_id=period.pk)


def _back(artifact: ReportArtifact) -> str:
    if artifact.report_id:
        return reverse("documents:report", kwargs={"report_id": artifact.report_id})
    return reverse("documents:period", kwargs={"period_id": artifact.period_id})


@require_POST
@login_required
def artifact_retry_view(request: HttpRequest, artifact_id: int) -> HttpResponse:
    artifact = access.artifact_for(request.user, artifact_id, action=Action.REQUEST_PDF)
    try:
        artifact_retry(artifact=artifact, acting_user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Trying {artifact.document_id} again.")
    return redirect(_back(artifact))


@require_GET
@login_required
def artifact_download_view(request: HttpRequest, artifact_id: int) -> FileResponse:
    artifact = access.artifact_for(request.user, artifact_id, action=Action.READ)
    return artifact_file_response(artifact)
