"""Engagement pages (issue 14): program admins create engagements and follow them; auditors
declare their independence, then work in the engagement's workspace, item by item, and read its
evidence, previewed as escaped text.

Every object comes through the access gate (commitments.access): an engagement with
`engagement_for` (404 for one the user may do nothing with, outside its window included),
reports, items and evidence with the gate's loaders, and then only when the engagement's scope
holds them: an auditor engaged for another organisation or period elsewhere reaches nothing of
it from this engagement's pages.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from audits.forms import DeclarationForm, EngagementForm
from audits.models import Attestation, Engagement
from audits.previews import NOT_PREVIEWABLE, PREVIEW_LIMIT, Preview, preview_text, previewable
from audits.selectors_engagements import (
    NO_FINDING,
    Filters,
    engagement_list_for,
    engagements_with_scope,
    findings_by_item,
    in_scope,
    item_neighbours,
    seat_of,
    workspace,
)
from audits.selectors_work import attestation_missing
from audits.services.engagements import engagement_create, independence_declare
from audits.views.requests import requests_context
from audits.views.work import work_context
from commitments import access
from commitments.access import NOT_FOUND, Action
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.models import Evidence, ImplementationStatus, ItemResponse
from commitments.selectors_review import report_items_for_review, reports_for_review
from commitments.services.evidence import evidence_open
from commitments.vocabulary import FindingKind, Verdict

logger = logging.getLogger(__name__)


# --- the list and the new engagement ---------------------------------------------------------------


@require_GET
@login_required
def engagement_list_view(request: HttpRequest) -> HttpResponse:
    listed = engagement_list_for(user=request.user)
    return render(
        request,
        "audits/list.html",
        {
            "may_manage": listed.may_manage,
            "rows": [(e, access.can(request.user, Action.AUDIT, e)) for e in listed.engagements],
            "upcoming": listed.upcoming,
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def engagement_create_view(request: HttpRequest) -> HttpResponse:
    access.program_for(request.user, action=Action.MANAGE_ENGAGEMENTS)
    form = EngagementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                engagement = engagement_create(acting_user=request.user, **form.service_arguments())
            except ValidationFailed as exc:
                form.add_problems(exc.problems)
            else:
                messages.success(
                    request,
                    f"Engagement “{engagement.title}” created. Each auditor declares their independence "
                    "when it opens.",
                )
                return redirect("audits:engagement", engagement_id=engagement.pk)
    return render(request, "audits/new.html", {"form": form}, status=status)


# --- one engagement and the declaration ------------------------------------------------------------


def _engagement(request: HttpRequest, engagement_id: int, action: Action) -> Engagement:
    engagement = access.engagement_for(request.user, engagement_id, action=action)
    # The same row, read again with what the pages show of it.
    return engagements_with_scope().get(pk=engagement.pk)


@require_GET
@login_required
def engagement_view(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id, Action.READ)
    seat = seat_of(engagement=engagement, user=request.user)
    if seat is not None and seat.declared_at is None:
        # Nothing else of the engagement until the auditor has declared their independence.
        return redirect("audits:declare", engagement_id=engagement.pk)
    return render(
        request,
        "audits/engagement.html",
        {
            "engagement": engagement,
            "seat": seat,
            "may_audit": access.can(request.user, Action.AUDIT, engagement),
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def declare_view(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id, Action.DECLARE)
    seat = seat_of(engagement=engagement, user=request.user)
    form = DeclarationForm(request.POST or None)
    status, refusal = 200, ""
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            independence_declare(
                engagement=engagement,
                acting_user=request.user,
                declaration=form.cleaned_data["declaration"],
            )
        except ValidationFailed as exc:
            form.add_problems(exc.problems)
            status = 400
        except NotAllowed as exc:
            refusal, status = str(exc), 403
        except InvalidTransition as exc:
            messages.error(request, str(exc))
            return redirect("audits:engagement", engagement_id=engagement.pk)
        else:
            messages.success(
                request, "Your independence declaration is recorded. The engagement is open to you."
            )
            return redirect("audits:workspace", engagement_id=engagement.pk)
    return render(
        request,
        "audits/declare.html",
        {"engagement": engagement, "seat": seat, "form": form, "refusal": refusal, "now": timezone.now()},
        status=status,
    )


# --- the auditor's workspace -----------------------------------------------------------------------


def _filters(request: HttpRequest) -> Filters:
    """The filters asked for; a value that is not one of the choices is no filter."""

    def chosen(name: str, allowed) -> str:
        value = request.GET.get(name, "")
        return value if value in allowed else ""

    return Filters(
        status=chosen("status", set(ImplementationStatus.values)),
        verdict=chosen("verdict", set(Verdict.values)),
        finding=chosen("finding", {*FindingKind.values, NO_FINDING}),
    )


@require_GET
@login_required
def workspace_view(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id, Action.AUDIT)
    filters = _filters(request)
    attestation = Attestation.objects.current().filter(engagement=engagement).first()
    return render(
        request,
        "audits/workspace.html",
        {
            "engagement": engagement,
            "workspace": workspace(engagement=engagement, user=request.user, filters=filters),
            # The way to the attestation, and what stops it being signed yet.
            "attestation": attestation,
            "missing": None if attestation else attestation_missing(engagement),
            "filters": filters,
            "status_choices": ImplementationStatus.choices,
            "verdict_choices": Verdict.choices,
            "finding_choices": [*FindingKind.choices, (NO_FINDING, "No finding yet")],
        },
    )


def _item_in_scope(request: HttpRequest, engagement: Engagement, item_id: int) -> ItemResponse:
    """An item of a report in the engagement's scope that the user may audit; else 404."""
    report_id = ItemResponse.objects.filter(pk=item_id).values_list("report_id", flat=True).first()
    if report_id is None:
        raise Http404(NOT_FOUND)
    item = access.item_for(request.user, report_id, item_id, action=Action.READ, reports=reports_for_review())
    if not (
        access.can(request.user, Action.AUDIT, item.report)
        and in_scope(engagement=engagement, report=item.report)
    ):
        raise Http404(NOT_FOUND)
    return item


@require_GET
@login_required
def item_view(request: HttpRequest, engagement_id: int, item_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id, Action.AUDIT)
    item = _item_in_scope(request, engagement, item_id)
    (item,) = report_items_for_review(report=item.report, item_ids=[item.pk])
    parts = {"engagement": engagement, "item": item, "user": request.user}
    return render(
        request,
        "audits/item.html",
        {
            "engagement": engagement,
            "report": item.report,
            "item": item,
            "verdict": item.current_verdict,
            "finding": findings_by_item(engagement=engagement, items=[item]).get(item.pk),
            "neighbours": item_neighbours(engagement=engagement, item=item, user=request.user),
            **requests_context(**parts),
            **work_context(**parts),
        },
    )


# --- evidence, previewed --------------------------------------------------------------------------


@require_GET
@login_required
def evidence_preview_view(request: HttpRequest, engagement_id: int, evidence_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id, Action.AUDIT)
    evidence = access.evidence_for(request.user, evidence_id, action=Action.READ)
    report = evidence.item.report
    if not (
        access.can(request.user, Action.AUDIT, report) and in_scope(engagement=engagement, report=report)
    ):
        raise Http404(NOT_FOUND)
    if evidence.kind != Evidence.Kind.FILE or not evidence.storage_name:
        raise Http404("This evidence is a link, not a file.")
    preview = Preview(problem=NOT_PREVIEWABLE)
    if previewable(evidence.media_type):
        try:
            with evidence_open(evidence=evidence, reader=request.user, how="preview") as handle:
                preview = preview_text(evidence.media_type, handle, what=f"evidence #{evidence.pk}")
        except FileNotFoundError:
            logger.error("The stored file of evidence #%s is missing: %s", evidence.pk, evidence.storage_name)
            raise Http404("This evidence file is not available.") from None
    back = reverse("audits:item", args=[engagement.pk, evidence.item_id])
    response = render(
        request,
        "audits/preview.html",
        {
            "engagement": engagement,
            "item": evidence.item,
            "title": evidence.title,
            "facts": evidence.get_visibility_display(),
            "media_type": evidence.media_type,
            "size_bytes": evidence.size_bytes,
            "sha256": evidence.sha256,
            "download_url": reverse("commitments:evidence_download", args=[evidence.pk]),
            "back": back,
            "back_label": "Back to the item",
            "preview": preview,
            "limit": f"{PREVIEW_LIMIT:,} characters",
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response
