"""Audit bundles in the web app: the page of an engagement's (for its auditors) or a report's (for
whoever may read its audit PDF) bundles, where one is asked for and watched while it builds (htmx
polls the list: "12 of 40 files"), and the download.

Who may is the access gate's: the engagement's AUDIT, the report's READ_AUDIT, and for a bundle
`bundle_for` (its requester's alone, while they still may). A bundle holds restricted evidence, so
its download is recorded in the ledger as the opening of each restricted file (bundles.services).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from bundles.models import AuditBundle
from bundles.services import bundle_downloaded, bundle_request
from commitments import access
from commitments.access import Action
from commitments.evidence_storage import blob_response
from commitments.selectors_review import reports_for_review
from reports.models import ArtifactStatus

logger = logging.getLogger(__name__)

# How often a page with a bundle still building asks again, in seconds (htmx, or a meta refresh).
POLL_SECONDS = 2


def _page(request: HttpRequest, *, bundles, context: dict) -> HttpResponse:
    bundles = list(bundles.select_related("requested_by"))
    context = {
        **context,
        "bundles": bundles,
        "pending": any(bundle.status == ArtifactStatus.PENDING for bundle in bundles),
        "poll_seconds": POLL_SECONDS,
    }
    if request.htmx:
        return render(request, "bundles/_list.html", context)
    return render(request, "bundles/page.html", context)


def _asked(request: HttpRequest, bundle: AuditBundle) -> None:
    messages.success(
        request, "The bundle is being built; this page shows its progress and updates when it is ready."
    )


@require_http_methods(["GET", "POST"])
@login_required
def engagement_bundles_view(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = access.engagement_for(request.user, engagement_id, action=Action.AUDIT)
    if request.method == "POST":
        _asked(request, bundle_request(acting_user=request.user, engagement=engagement))
        return redirect("bundles:engagement", engagement_id=engagement.pk)
    bundles = AuditBundle.objects.filter(engagement=engagement, requested_by=request.user)
    return _page(request, bundles=bundles, context={"engagement": engagement})


@require_http_methods(["GET", "POST"])
@login_required
def report_bundles_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.report_for(
        request.user, report_id, action=Action.READ_AUDIT, queryset=reports_for_review()
    )
    if request.method == "POST":
        _asked(request, bundle_request(acting_user=request.user, report=report))
        return redirect("bundles:report", report_id=report.pk)
    bundles = AuditBundle.objects.filter(report=report, requested_by=request.user)
    return _page(request, bundles=bundles, context={"report": report})


@require_GET
@login_required
def bundle_download_view(request: HttpRequest, bundle_id: int) -> FileResponse:
    bundle = access.bundle_for(request.user, bundle_id)
    if bundle.status != ArtifactStatus.READY:
        raise Http404("This bundle is not ready.")
    try:
        handle = bundle_downloaded(bundle=bundle, reader=request.user)
    except FileNotFoundError:
        logger.error("The stored file of bundle #%s is missing: %s", bundle.pk, bundle.storage_name)
        raise Http404("This bundle's file is not available.") from None
    response = blob_response(
        handle, as_attachment=True, filename=bundle.file_name, content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
