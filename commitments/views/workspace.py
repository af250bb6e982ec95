"""The officer workspace: dashboard, report editor, item saves, evidence, submission, and the
follow-up of an independent audit's corrective actions in the organisation's next report.

Every view loads its object through the access gate (commitments.access), which returns the object
or raises: another organisation's report is a 404 like an id never issued (its existence is not
revealed), a read-only member trying to write gets a 403. Writes go through the services; domain
errors become form errors shown next to the input that caused them, with the input kept.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audits.forms import FollowUpForm
from audits.models import Finding
from audits.selectors_follow_up import report_follow_ups
from audits.selectors_requests import dashboard_request_rows
from audits.services.follow_up import finding_follow_up
from commitments import access
from commitments.access import Action
from commitments.errors import InvalidTransition, NotAllowed, StaleEdit, UploadRefused, ValidationFailed
from commitments.evidence_downloads import evidence_file_response
from commitments.forms import EvidenceForm, ItemForm
from commitments.markdown import markdown_problems, render_markdown
from commitments.models import (
    ChangeRequest,
    Evidence,
    ItemResponse,
    ProgressReport,
    ReportStatus,
)
from commitments.selectors import (
    dashboard_for_user,
    editor_items,
    framework_headings,
    items_for_editor,
    reports_for_editor,
)
from commitments.selectors_review import report_change_request
from commitments.services.evidence import evidence_add, evidence_open
from commitments.services.reports import EDITABLE_STATES, item_update, report_create, report_submit
from commitments.vocabulary import UNDER_REVIEW

logger = logging.getLogger(__name__)


def _report(request: HttpRequest, report_id: int, action: Action) -> ProgressReport:
    return access.report_for(request.user, report_id, action=action, queryset=reports_for_editor())


def _item(request: HttpRequest, report_id: int, item_id: int) -> ItemResponse:
    """An item to change: its report must be one the user may edit."""
    return access.item_for(
        request.user,
        report_id,
        item_id,
        action=Action.EDIT,
        reports=reports_for_editor(),
        items=items_for_editor(),
    )


# --- dashboard --------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "boards": dashboard_for_user(request.user),
        "audit_requests": dashboard_request_rows(request.user),
    }
    return render(request, "workspace/dashboard.html", context)


@login_required
@require_POST
def report_start(request: HttpRequest, org_slug: str, period_id: int) -> HttpResponse:
    organisation = access.organisation_for(request.user, org_slug, action=Action.START_REPORT)
    period = access.period_for(request.user, period_id, action=Action.READ)
    carry_forward = request.POST.get("carry_forward") == "1"
    try:
        report = report_create(
            organisation=organisation, period=period, acting_user=request.user, carry_forward=carry_forward
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        messages.error(request, str(exc))
        return redirect("commitments:dashboard")
    if carry_forward:
        messages.success(
            request,
            "Report started from your last published answers. Carried-forward items are marked "
            "“unchanged” until you edit them.",
        )
    else:
        messages.success(request, f"Report for {period.label} started.")
    return redirect("commitments:report_edit", report_id=report.pk)


# --- report editor ----------------------------------------------------------------------------


@dataclass
class ItemPanel:
    """Everything one item's fragment shows."""

    item: ItemResponse
    form: ItemForm | None = None
    evidence_form: EvidenceForm | None = None
    problems: list[str] = field(default_factory=list)
    saved_version: ItemResponse | None = None  # set after a refused stale save
    saved: bool = False
    evidence_added: bool = False
    preview: str | None = None
    preview_problems: list[str] = field(default_factory=list)  # why the narrative cannot be saved
    error: str = ""
    change_requested: bool = False
    follow_ups: list["FollowUpPanel"] = field(default_factory=list)  # audit corrective actions

    @property
    def verdict(self) -> Any:
        """The verdict that counts on this submission, if the reviewer recorded one."""
        return self.item.current_verdict

    def metric_rows(self) -> list[tuple[Any, Any]]:
        return _metric_rows(self.item)

    def saved_metric_rows(self) -> list[tuple[Any, Any]]:
        return _metric_rows(self.saved_version) if self.saved_version else []


@dataclass
class FollowUpPanel:
    """A corrective action of an earlier audit, followed up in this report (on its item)."""

    finding: Finding
    form: FollowUpForm | None = None  # while the user may write it
    error: str = ""


def _follow_ups(
    report: ProgressReport, *, editable: bool, override: FollowUpPanel | None = None
) -> dict[str, list[FollowUpPanel]]:
    """Node id → the report's follow-ups of corrective actions (the one given, after a refusal)."""
    panels: dict[str, list[FollowUpPanel]] = {}
    for finding in report_follow_ups(report):
        if override is not None and override.finding.pk == finding.pk:
            panel = override
        else:
            form = (
                FollowUpForm(initial={"text": finding.follow_up}, finding_id=finding.pk) if editable else None
            )
            panel = FollowUpPanel(finding=finding, form=form)
        panels.setdefault(finding.item.node.node_id, []).append(panel)
    return panels


def _metric_rows(item: ItemResponse) -> list[tuple[Any, Any]]:
    values = {v.metric.key: v for v in item.metric_values.all()}
    return [(metric, values.get(metric.key)) for metric in item.node.metrics.all()]


def _editor_flags(request: HttpRequest, report: ProgressReport) -> dict[str, Any]:
    open_for_edits = report.status in EDITABLE_STATES
    return {
        "editable": open_for_edits and access.can(request.user, Action.EDIT, report),
        "can_submit": open_for_edits and access.can(request.user, Action.SUBMIT, report),
        "open_for_edits": open_for_edits,
        "under_review": report.status in UNDER_REVIEW,
    }


def _complete_panel(panel: ItemPanel, editable: bool) -> ItemPanel:
    if editable:
        if panel.form is None:
            panel.form = ItemForm(item=panel.item)
        if panel.evidence_form is None:
            panel.evidence_form = EvidenceForm(item=panel.item)
    return panel


def _render_editor(
    request: HttpRequest,
    report: ProgressReport,
    *,
    override: ItemPanel | None = None,
    follow_up: FollowUpPanel | None = None,
    problems: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    flags = _editor_flags(request, report)
    problems = problems or {}
    change_request = _change_request(report)
    follow_ups = _follow_ups(report, editable=flags["editable"], override=follow_up)
    entries: list[tuple[int, dict[str, Any]]] = [
        (node.position, {"heading": node, "level": min(node.depth + 2, 4)})
        for node in framework_headings(report.period.framework_id)
    ]
    summary = []
    for item in editor_items(report):
        item.report = report
        panel = override if override is not None and override.item.pk == item.pk else ItemPanel(item=item)
        panel.problems = problems.get(item.node.node_id, panel.problems)
        panel.follow_ups = follow_ups.pop(item.node.node_id, [])
        _flag_requested(panel, change_request)
        if panel.problems:
            summary.append(panel)
        entries.append((item.node.position, {"panel": _complete_panel(panel, flags["editable"])}))
    entries.sort(key=lambda entry: entry[0])
    context = {
        "report": report,
        "entries": [entry for _, entry in entries],
        "problem_summary": summary,
        "change_request": change_request,
        "flagged_items": [e["panel"] for _, e in entries if "panel" in e and e["panel"].change_requested],
        # Follow-ups of a node this report's framework version no longer has: shown above the items.
        "unplaced_follow_ups": [panel for panels in follow_ups.values() for panel in panels],
        **flags,
    }
    return render(request, "workspace/report_edit.html", context, status=status)


def _change_request(report: ProgressReport) -> ChangeRequest | None:
    """The reviewer's request for changes, shown to the officer while the report is sent back."""
    if report.status != ReportStatus.CHANGES_REQUESTED:
        return None
    return report_change_request(report=report)


def _flag_requested(panel: ItemPanel, change_request: ChangeRequest | None) -> None:
    panel.change_requested = bool(change_request and panel.item.node.node_id in change_request.node_ids)


def _render_item(
    request: HttpRequest, report: ProgressReport, panel: ItemPanel, *, status: int = 200
) -> HttpResponse:
    """htmx gets the item's fragment; a plain form post gets the whole editor around it."""
    if not request.htmx:
        return _render_editor(request, report, override=panel, status=status)
    flags = _editor_flags(request, report)
    _flag_requested(panel, _change_request(report))
    panel.follow_ups = _follow_ups(report, editable=flags["editable"]).get(panel.item.node.node_id, [])
    context = {"report": report, "panel": _complete_panel(panel, flags["editable"]), **flags}
    return render(request, "workspace/_item.html", context, status=status)


def _item_url(report: ProgressReport, item: ItemResponse) -> str:
    return reverse("commitments:report_edit", kwargs={"report_id": report.pk}) + f"#item-{item.pk}"


def _reload_item(report: ProgressReport, item: ItemResponse) -> ItemResponse:
    fresh = editor_items(report, item_ids=[item.pk]).get()
    fresh.report = report
    return fresh


@login_required
def report_edit(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.READ)
    return _render_editor(request, report)


@login_required
@require_POST
def item_save(request: HttpRequest, report_id: int, item_id: int) -> HttpResponse:
    item = _item(request, report_id, item_id)
    report = item.report
    form = ItemForm(request.POST, item=item)
    if "preview" in request.POST:
        # The non-JavaScript "Preview": nothing is saved, the form comes back with the preview.
        narrative = request.POST.get(f"{form.prefix}-narrative", "")
        panel = ItemPanel(
            item=item,
            form=form,
            preview=render_markdown(narrative),
            preview_problems=markdown_problems(narrative),
        )
        return _render_item(request, report, panel)
    if not form.is_valid():
        return _render_item(request, report, ItemPanel(item=item, form=form), status=400)
    data = form.cleaned_data
    try:
        item_update(
            item=item,
            acting_user=request.user,
            expected_version=data["expected_version"],
            status=data["status"],
            narrative=data["narrative"],
            areas_needing_progress=data["areas_needing_progress"],
            metrics=form.metric_inputs(),
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaleEdit as exc:
        return _stale_edit_response(request, report, item, form, str(exc))
    except ValidationFailed as exc:
        form.add_service_problems(exc.problems)
        return _render_item(request, report, ItemPanel(item=item, form=form, error=str(exc)), status=400)
    except InvalidTransition as exc:
        return _refused(request, report, item, str(exc))
    if not request.htmx:
        label = f"{item.node.code} {item.node.title}" if item.node.code else item.node.title
        messages.success(request, f"Saved “{label}”.")
        return redirect(_item_url(report, item))
    return _render_item(request, report, ItemPanel(item=_reload_item(report, item), saved=True))


def _stale_edit_response(
    request: HttpRequest, report: ProgressReport, item: ItemResponse, form: ItemForm, message: str
) -> HttpResponse:
    """Show the saved version next to the user's own input, which is kept exactly as typed.

    The form gets the saved version number, so saving again is a deliberate choice to replace it.
    """
    saved = _reload_item(report, item)
    data = request.POST.copy()
    data[f"{form.prefix}-expected_version"] = str(saved.version)
    panel = ItemPanel(item=saved, form=ItemForm(data, item=saved), saved_version=saved, error=message)
    return _render_item(request, report, panel, status=409)


def _refused(request: HttpRequest, report: ProgressReport, item: ItemResponse, message: str) -> HttpResponse:
    """The report left an editable state while the page was open."""
    if request.htmx:
        return _render_item(
            request, report, ItemPanel(item=_reload_item(report, item), error=message), status=409
        )
    messages.error(request, message)
    return redirect(_item_url(report, item))


@login_required
@require_POST
def narrative_preview(request: HttpRequest, report_id: int, item_id: int) -> HttpResponse:
    item = _item(request, report_id, item_id)
    narrative = request.POST.get(f"item-{item.pk}-narrative", "")
    context = {"preview": render_markdown(narrative), "problems": markdown_problems(narrative)}
    return render(request, "workspace/_preview.html", context)


# --- evidence ---------------------------------------------------------------------------------


@login_required
@require_POST
def evidence_create(request: HttpRequest, report_id: int, item_id: int) -> HttpResponse:
    item = _item(request, report_id, item_id)
    report = item.report
    form = EvidenceForm(request.POST, request.FILES, item=item)
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence = evidence_add(
                item=item,
                acting_user=request.user,
                title=data["title"],
                effective_date=data["effective_date"],
                visibility=data["visibility"],
                upload=data["upload"] or None,
                url=data["url"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except UploadRefused as exc:
            form.add_error("upload", str(exc))
        except ValidationFailed as exc:
            form.add_service_problems(exc.problems)
        except InvalidTransition as exc:
            return _refused(request, report, item, str(exc))
        else:
            if not request.htmx:
                messages.success(request, f"Evidence “{evidence.title}” added.")
                return redirect(_item_url(report, item))
            panel = ItemPanel(item=_reload_item(report, item), evidence_added=True)
            return _render_item(request, report, panel)
    return _render_item(request, report, ItemPanel(item=item, evidence_form=form), status=400)


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    """Stream a stored file as an attachment; never inline and never from MEDIA_URL. Its name is
    made from the title and hash, as on the public site; the uploader's file name is only a label."""
    evidence = access.evidence_for(request.user, evidence_id, action=Action.READ)
    if evidence.kind != Evidence.Kind.FILE or not evidence.storage_name:
        raise Http404("This evidence is a link, not a file.")
    try:
        handle = evidence_open(evidence=evidence, reader=request.user)
    except FileNotFoundError:
        logger.error("The stored file of evidence #%s is missing: %s", evidence.pk, evidence.storage_name)
        raise Http404("This evidence file is not available.") from None
    response = evidence_file_response(
        handle,
        title=evidence.title,
        sha256=evidence.sha256,
        media_type=evidence.media_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- submission -------------------------------------------------------------------------------


@login_required
@require_POST
def report_submit_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, Action.SUBMIT)
    try:
        report_submit(report=report, acting_user=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        messages.error(request, str(exc))
        return _render_editor(request, report, problems=exc.problems, status=400)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("commitments:report_edit", report_id=report.pk)
    messages.success(
        request, "Report submitted for review. It is read-only until a reviewer asks for changes."
    )
    return redirect("commitments:report_edit", report_id=report.pk)


# --- follow-up of an audit's corrective action ------------------------------------------------


def _follow_up_url(report: ProgressReport, finding: Finding) -> str:
    return reverse("commitments:report_edit", kwargs={"report_id": report.pk}) + f"#follow-up-{finding.pk}"


@login_required
@require_POST
def follow_up_save(request: HttpRequest, report_id: int, finding_id: int) -> HttpResponse:
    """Write the follow-up of a corrective action this report follows up; any other finding id
    (another report's, another organisation's) is not found here."""
    report = _report(request, report_id, Action.EDIT)
    finding = next((f for f in report_follow_ups(report) if f.pk == finding_id), None)
    if finding is None:
        raise Http404(access.NOT_FOUND)
    form = FollowUpForm(request.POST, finding_id=finding.pk)
    try:
        if not form.is_valid():
            raise ValidationFailed("The follow-up was not saved: see the problem below.")
        finding_follow_up(
            finding=finding, report=report, text=form.cleaned_data["text"], acting_user=request.user
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationFailed as exc:
        if not form.errors:
            form.add_problems(exc.problems)
        panel = FollowUpPanel(finding=finding, form=form, error=str(exc))
        return _render_editor(request, report, follow_up=panel, status=400)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect(_follow_up_url(report, finding))
    messages.success(
        request, "Follow-up saved. It is published with this report, beside the auditor's finding."
    )
    return redirect(_follow_up_url(report, finding))
