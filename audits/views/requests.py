"""Evidence requests (issue 14): the panel on the auditor's item page, the auditor opening and
closing a request, the request's page where the organisation's officers answer, and the file given
in answer, downloaded (by either) or previewed as text (by the auditors).

A request is seen by the organisation's officers (who answer it: the gate's RESPOND) and by the
auditors of its engagement while they may audit the item (the gate's AUDIT, this engagement,
this scope). To anyone else, an auditor outside the engagement's window or scope included, a
request is a 404 exactly like an id never issued. Writes go through audits.services.requests;
its refusals become form errors, with what was typed kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audits.models import Engagement, EvidenceRequest, EvidenceRequestReply
from audits.previews import NOT_PREVIEWABLE, PREVIEW_LIMIT, Preview, preview_text, previewable
from audits.selectors_requests import RequestRow, in_scope, item_requests, request_row, requests_with_replies
from audits.services.requests import MESSAGE_MAX, request_answer, request_close, request_file_opened
from audits.services.requests import request_open as request_open_service
from commitments import access
from commitments.access import Action
from commitments.errors import InvalidTransition, NotAllowed, UploadRefused, ValidationFailed
from commitments.evidence_downloads import evidence_file_response
from commitments.evidence_storage import open_blob
from commitments.models import ItemResponse
from commitments.vocabulary import RequestStatus

logger = logging.getLogger(__name__)

# --- forms ------------------------------------------------------------------------------------


class RequestOpenForm(forms.Form):
    message = forms.CharField(
        label="What do you need?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"Sent to the organisation's compliance officers by email. At most {MESSAGE_MAX:,} characters."
        ),
    )
    due_on = forms.DateField(
        label="Answer due by",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give the due date as a date, e.g. 2026-12-12."},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RequestAnswerForm(forms.Form):
    message = forms.CharField(label="Your reply", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    file = forms.FileField(
        label="File",
        required=False,
        help_text="PDF, plain text, Markdown, CSV or JSON, as for evidence. Images, archives and programs "
        "are refused. Only the auditors see it.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _add_problems(form: forms.Form, problems: dict[str, list[str]]) -> None:
    for key, found in problems.items():
        for message in found:
            form.add_error(key if key in form.fields else None, message)


# --- what the pages show ----------------------------------------------------------------------


@dataclass
class RequestsPanel:
    """What templates/audits/item/_requests.html shows."""

    rows: list[RequestRow]
    form: RequestOpenForm
    open_url: str
    may_request: bool
    errors: list[str] = field(default_factory=list)


def requests_context(*, engagement: Engagement, item: ItemResponse, user: Any) -> dict:
    """What templates/audits/item/_requests.html needs for this item."""
    rows = [request_row(r) for r in item_requests(engagement=engagement, item=item)]
    panel = RequestsPanel(
        rows=rows,
        form=RequestOpenForm(),
        open_url=reverse("audits:request_open", args=[engagement.pk, item.pk]),
        may_request=access.can(user, Action.AUDIT, engagement),
    )
    return {"requests_panel": panel}


def item_page_url(engagement_id: int, item_id: int) -> str:
    return reverse("audits:item", args=[engagement_id, item_id]) + "#requests"


# --- loading, through the gate ----------------------------------------------------------------


def _scoped_item(engagement: Engagement, item_id: int) -> ItemResponse:
    """An item of a report in the engagement's scope; any other id is a 404."""
    item = (
        ItemResponse.objects.select_related("node", "report__organisation", "report__period")
        .filter(pk=item_id)
        .first()
    )
    if item is None or not in_scope(engagement, item.report):
        raise Http404(access.NOT_FOUND)
    return item


def request_for(user: Any, pk: int) -> tuple[EvidenceRequest, str]:
    """The request and what the user is to it ("officer" or "auditor"); 404 for everyone else."""
    evidence_request = requests_with_replies().filter(pk=pk).first()
    if evidence_request is None:
        raise Http404(access.NOT_FOUND)
    report = evidence_request.item.report
    if access.can(user, Action.RESPOND, report):
        return evidence_request, "officer"
    engagement = evidence_request.engagement
    if (
        access.can(user, Action.AUDIT, engagement)
        and access.can(user, Action.AUDIT, report)
        and in_scope(engagement, report)
    ):
        return evidence_request, "auditor"
    raise Http404(access.NOT_FOUND)


# --- views ------------------------------------------------------------------------------------


@login_required
@require_POST
def request_create(request: HttpRequest, engagement_id: int, item_id: int) -> HttpResponse:
    """The auditor's form on the item page; on a problem, the form again on a page of its own."""
    engagement = access.engagement_for(request.user, engagement_id, action=Action.AUDIT)
    item = _scoped_item(engagement, item_id)
    form = RequestOpenForm(request.POST)
    if form.is_valid():
        try:
            request_open_service(
                engagement=engagement,
                item=item,
                acting_user=request.user,
                message=form.cleaned_data["message"],
                due_on=form.cleaned_data["due_on"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationFailed as exc:
            _add_problems(form, exc.problems)
        else:
            messages.success(request, "Request sent: the organisation's compliance officers have been told.")
            return redirect(item_page_url(engagement.pk, item.pk))
    context = {
        "engagement": engagement,
        "item": item,
        "form": form,
        "back_url": item_page_url(engagement.pk, item.pk),
    }
    return render(request, "audits/requests/open.html", context, status=400)


def _page(request: HttpRequest, evidence_request: EvidenceRequest, role: str, form: Any, status: int = 200):
    engagement = evidence_request.engagement
    context = {
        "row": request_row(evidence_request),
        "evidence_request": evidence_request,
        "replies": list(evidence_request.replies.all()),
        "role": role,
        "form": form,
        "item_url": item_page_url(engagement.pk, evidence_request.item_id) if role == "auditor" else "",
        "may_answer": role == "officer"
        and evidence_request.status != RequestStatus.CLOSED
        and engagement.is_open(),
        "may_close": role == "auditor" and evidence_request.status != RequestStatus.CLOSED,
    }
    return render(request, "audits/requests/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The request with its thread; the officers answer here (a reply and/or a file)."""
    evidence_request, role = request_for(request.user, request_id)
    if request.method != "POST":
        return _page(request, evidence_request, role, RequestAnswerForm())
    if role != "officer":
        raise PermissionDenied("Only the organisation's compliance officers answer an evidence request.")
    form = RequestAnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            request_answer(
                request=evidence_request,
                acting_user=request.user,
                message=form.cleaned_data["message"],
                file=form.cleaned_data["file"] or None,
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except UploadRefused as exc:
            form.add_error("file", str(exc))
        except ValidationFailed as exc:
            _add_problems(form, exc.problems)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
            return redirect("audits:request", request_id=evidence_request.pk)
        else:
            messages.success(request, "Answer sent to the auditor.")
            return redirect("audits:request", request_id=evidence_request.pk)
    return _page(request, evidence_request, role, form, status=400)


@login_required
@require_POST
def request_close_view(request: HttpRequest, request_id: int) -> HttpResponse:
    evidence_request, role = request_for(request.user, request_id)
    if role != "auditor":
        raise PermissionDenied("Only the engagement's auditors close an evidence request.")
    try:
        request_close(request=evidence_request, acting_user=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Request closed.")
    return redirect(item_page_url(evidence_request.engagement_id, evidence_request.item_id))


def _reply_with_file(evidence_request: EvidenceRequest, reply_id: int) -> EvidenceRequestReply:
    reply = next((r for r in evidence_request.replies.all() if r.pk == reply_id and r.storage_name), None)
    if reply is None:
        raise Http404(access.NOT_FOUND)
    return reply


@login_required
def reply_file(request: HttpRequest, request_id: int, reply_id: int) -> FileResponse:
    """A file given in answer, as an attachment nothing runs; each download is ledgered."""
    evidence_request, _role = request_for(request.user, request_id)
    reply = _reply_with_file(evidence_request, reply_id)
    request_file_opened(reply=reply, reader=request.user)
    return evidence_file_response(
        open_blob(reply.storage_name),
        title=reply.file_name.rsplit(".", 1)[0] or "evidence-request-answer",
        sha256=reply.sha256,
        media_type=reply.media_type,
    )


@login_required
@require_GET
def reply_preview(request: HttpRequest, request_id: int, reply_id: int) -> HttpResponse:
    """The text of a file given in answer, read in the page as the item's evidence is
    (audits/previews.py); for the auditors, who asked for it. Each preview is ledgered."""
    evidence_request, role = request_for(request.user, request_id)
    if role != "auditor":
        raise PermissionDenied("The preview is the auditors'; the organisation downloads its own file.")
    reply = _reply_with_file(evidence_request, reply_id)
    preview = Preview(problem=NOT_PREVIEWABLE)
    if previewable(reply.media_type):
        request_file_opened(reply=reply, reader=request.user, how="preview")
        try:
            with open_blob(reply.storage_name) as handle:
                preview = preview_text(reply.media_type, handle, what=f"the file of reply #{reply.pk}")
        except FileNotFoundError:
            logger.error("The stored file of reply #%s is missing: %s", reply.pk, reply.storage_name)
            raise Http404("This file is not available.") from None
    engagement = evidence_request.engagement
    response = render(
        request,
        "audits/preview.html",
        {
            "engagement": engagement,
            "item": evidence_request.item,
            "title": reply.file_name or "File given in answer",
            "facts": f"Given in answer to evidence request {evidence_request.pk}",
            "media_type": reply.media_type,
            "size_bytes": reply.size_bytes,
            "sha256": reply.sha256,
            "download_url": reverse("audits:request_reply_file", args=[evidence_request.pk, reply.pk]),
            "back": item_page_url(engagement.pk, evidence_request.item_id),
            "back_label": "Back to the item",
            "preview": preview,
            "limit": f"{PREVIEW_LIMIT:,} characters",
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response
