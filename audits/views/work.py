"""Workpapers, findings and attestation pages (issue 14).

The auditor's item page (the engagements area) includes templates/audits/item/_work.html with
`work_context`: the item's workpaper and finding, as forms while the engagement can be worked on
and read-only once it is attested. Their forms post here and come back to the item page; a form
with problems is shown again on a page of its own, with everything typed kept. The attestation
page shows what is missing before it can be signed, then the signed attestation and its
corrections. The organisation's officers answer a finding on its response page.

Every object comes through the access gate (engagement_for, report_for); an item is looked up
only among the items in the engagement's scope, so another engagement's item is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from audits.models import Attestation, Engagement, Finding, Workpaper
from audits.selectors_work import attestation_missing, items_in_scope
from audits.services.work import (
    attestation_correct,
    attestation_sign,
    finding_record,
    finding_respond,
    workpaper_save,
    workpaper_sign_off,
)
from commitments import access
from commitments.access import Action
from commitments.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed
from commitments.markdown import MAX_CHARS
from commitments.models import ItemResponse
from commitments.vocabulary import FindingKind, Opinion

STATUS = {NotAllowed: 403, InvalidTransition: 409, ValidationFailed: 400}


def _status(exc: DomainError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


# --- forms ---------------------------------------------------------------------------------------


def _text(label: str, *, required: bool = True, rows: int = 4, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_CHARS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def refused(self, exc: DomainError) -> None:
        """Show a service's refusal on the form: its problems by field, or its message above."""
        problems = getattr(exc, "problems", {}) or {}
        for name, messages_ in problems.items():
            for message in messages_:
                self.add_error(name if name in self.fields else None, message)
        if not problems:
            self.add_error(None, str(exc))


class WorkpaperForm(_Form):
    procedure = _text("Procedure", help_text="The test procedure performed.")
    population = _text("Population", help_text="What was examined: the population tested.")
    sample = _text("Sample", help_text="Which evidence and which records were tested.")
    result = _text("Result")
    conclusion = _text("Conclusion", rows=3)


class FindingForm(_Form):
    kind = forms.ChoiceField(label="Finding", choices=FindingKind.choices, widget=forms.RadioSelect)
    description = _text("Description")
    recommended_action = _text(
        "Recommended action", required=False, rows=3, help_text="Required for a nonconformity."
    )
    corrective_action = _text(
        "Corrective action",
        required=False,
        rows=3,
        help_text="What the organisation will do; followed up in its next report.",
    )


class AttestationForm(_Form):
    opinion = forms.ChoiceField(label="Opinion", choices=Opinion.choices, widget=forms.RadioSelect)
    statement = _text("Statement", rows=8)
    attested_on = forms.DateField(
        label="Date of the attestation",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a real date, as YYYY-MM-DD."},
    )


class CorrectionForm(AttestationForm):
    reason = _text(
        "Reason for the correction",
        rows=3,
        help_text="Shown with the correction; the attestation it replaces stays readable.",
    )


class ResponseForm(_Form):
    company_response = _text("The company's response", rows=6)


# --- the item page's part --------------------------------------------------------------------


@dataclass
class WorkPanel:
    """What templates/audits/item/_work.html shows of one item."""

    engagement: Engagement
    item: ItemResponse
    workpaper: Workpaper | None
    finding: Finding | None
    attested: bool
    can_work: bool  # the user may audit the engagement and it is not attested
    can_sign_off: bool
    four_eyes: bool  # the engagement has two or more auditors
    workpaper_form: WorkpaperForm | None
    finding_form: FindingForm | None

    @property
    def finding_badge(self) -> str:
        return FindingKind(self.finding.kind).badge if self.finding else ""


def _initial(obj: Any, names: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names} if obj is not None else {}


def work_context(
    *,
    engagement: Engagement,
    item: ItemResponse,
    user: Any,
    workpaper_form: WorkpaperForm | None = None,
    finding_form: FindingForm | None = None,
) -> dict:
    """What templates/audits/item/_work.html needs for this item (bound forms after a refusal)."""
    workpaper = (
        Workpaper.objects.select_related("prepared_by", "reviewed_by")
        .filter(engagement=engagement, item=item)
        .first()
    )
    finding = Finding.objects.select_related("recorded_by").filter(engagement=engagement, item=item).first()
    attested = Attestation.objects.filter(engagement=engagement).exists()
    can_work = not attested and access.can(user, Action.AUDIT, engagement)
    four_eyes = engagement.auditors.count() >= 2
    if can_work:
        workpaper_form = workpaper_form or WorkpaperForm(
            initial=_initial(workpaper, WorkpaperForm.base_fields)
        )
        finding_form = finding_form or FindingForm(initial=_initial(finding, FindingForm.base_fields))
    return {
        "work": WorkPanel(
            engagement=engagement,
            item=item,
            workpaper=workpaper,
            finding=finding,
            attested=attested,
            can_work=can_work,
            can_sign_off=(
                can_work
                and four_eyes
                and workpaper is not None
                and workpaper.reviewed_by_id is None
                and workpaper.prepared_by_id != user.pk
            ),
            four_eyes=four_eyes,
            workpaper_form=workpaper_form if can_work else None,
            finding_form=finding_form if can_work else None,
        )
    }


# --- loading through the gate ----------------------------------------------------------------


def _engagement(request: HttpRequest, engagement_id: int) -> Engagement:
    return access.engagement_for(request.user, engagement_id, action=Action.AUDIT)


def _item(request: HttpRequest, engagement: Engagement, item_id: int) -> ItemResponse:
    """An item of the engagement's scope; any other id (another engagement's) is not found."""
    item = (
        items_in_scope(engagement)
        .select_related("node", "report__organisation", "report__period")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404(access.NOT_FOUND)
    access.report_for(request.user, item.report_id, action=Action.AUDIT)
    return item


def item_url(engagement: Engagement, item: ItemResponse) -> str:
    """The auditor's item page, at its workpaper and finding."""
    return reverse("audits:item", args=[engagement.pk, item.pk]) + "#work"


def _refused_page(request, engagement, item, exc: DomainError, **forms_) -> HttpResponse:
    context = {
        "engagement": engagement,
        "item": item,
        "message": str(exc),
        **work_context(engagement=engagement, item=item, user=request.user, **forms_),
    }
    return render(request, "audits/work/item.html", context, status=_status(exc))


# --- workpaper and finding -------------------------------------------------------------------


@require_POST
@login_required
def workpaper_save_view(request: HttpRequest, engagement_id: int, item_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id)
    item = _item(request, engagement, item_id)
    form = WorkpaperForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("The workpaper was not saved: see the problems below.")
        workpaper_save(engagement=engagement, item=item, acting_user=request.user, **form.cleaned_data)
    except DomainError as exc:
        if not form.errors:
            form.refused(exc)
        return _refused_page(request, engagement, item, exc, workpaper_form=form)
    messages.success(request, "Workpaper saved.")
    return redirect(item_url(engagement, item))


@require_POST
@login_required
def workpaper_sign_off_view(request: HttpRequest, engagement_id: int, item_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id)
    item = _item(request, engagement, item_id)
    workpaper = Workpaper.objects.filter(engagement=engagement, item=item).first()
    if workpaper is None:
        raise Http404("This item has no workpaper to sign off yet.")
    try:
        workpaper_sign_off(workpaper=workpaper, acting_user=request.user)
    except DomainError as exc:
        return _refused_page(request, engagement, item, exc)
    messages.success(request, "Workpaper signed off.")
    return redirect(item_url(engagement, item))


@require_POST
@login_required
def finding_record_view(request: HttpRequest, engagement_id: int, item_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id)
    item = _item(request, engagement, item_id)
    form = FindingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("The finding was not recorded: see the problems below.")
        finding_record(engagement=engagement, item=item, acting_user=request.user, **form.cleaned_data)
    except DomainError as exc:
        if not form.errors:
            form.refused(exc)
        return _refused_page(request, engagement, item, exc, finding_form=form)
    messages.success(request, "Finding recorded.")
    return redirect(item_url(engagement, item))


# --- attestation -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def attest_view(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id)
    form = AttestationForm(request.POST or None, initial={"attested_on": timezone.localdate()})
    status, message = 200, ""
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationFailed("The attestation was not signed: see the problems below.")
            attestation_sign(engagement=engagement, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            if not form.errors:
                form.refused(exc)
            status, message = _status(exc), str(exc)
        else:
            messages.success(request, "Attestation signed.")
            return redirect("audits:attest", engagement_id=engagement.pk)
    return _attest_page(request, engagement, form=form, status=status, message=message)


@require_POST
@login_required
def attest_correct_view(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = _engagement(request, engagement_id)
    current = Attestation.objects.current().filter(engagement=engagement).first()
    if current is None:
        raise Http404("This engagement has no attestation to correct.")
    form = CorrectionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("The correction was not signed: see the problems below.")
        attestation_correct(attestation=current, acting_user=request.user, **form.cleaned_data)
    except DomainError as exc:
        if not form.errors:
            form.refused(exc)
        return _attest_page(request, engagement, correction_form=form, status=_status(exc), message=str(exc))
    messages.success(request, "Correction signed. The attestation it replaces stays readable.")
    return redirect("audits:attest", engagement_id=engagement.pk)


def _attest_page(
    request: HttpRequest,
    engagement: Engagement,
    *,
    form: AttestationForm | None = None,
    correction_form: CorrectionForm | None = None,
    status: int = 200,
    message: str = "",
) -> HttpResponse:
    attestations = list(
        Attestation.objects.filter(engagement=engagement).select_related("signed_by").order_by("-signed_at")
    )
    for attestation in attestations:
        opinion = Opinion(attestation.opinion)
        attestation.badge, attestation.definition = opinion.badge, opinion.definition
    current = attestations[0] if attestations else None
    if current is not None and correction_form is None:
        correction_form = CorrectionForm(
            initial={
                "opinion": current.opinion,
                "statement": current.statement,
                "attested_on": timezone.localdate(),
            }
        )
    context = {
        "engagement": engagement,
        "attestations": attestations,
        "current": current,
        "missing": None if current else attestation_missing(engagement),
        "form": None if current else form,
        "correction_form": correction_form if current else None,
        "message": message,
    }
    return render(request, "audits/work/attest.html", context, status=status)


# --- the company's response ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def finding_respond_view(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = (
        Finding.objects.select_related("engagement", "item__node", "item__report")
        .filter(pk=finding_id)
        .first()
    )
    if finding is None:
        raise Http404(access.NOT_FOUND)
    report = access.report_for(request.user, finding.item.report_id, action=Action.RESPOND)
    attested = Attestation.objects.filter(engagement=finding.engagement).exists()
    open_ = not attested and finding.kind != FindingKind.CONFORMS
    form = ResponseForm(request.POST or None, initial={"company_response": finding.company_response})
    status, message = 200, ""
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationFailed("The response was not saved: see the problems below.")
            finding_respond(finding=finding, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            if not form.errors:
                form.refused(exc)
            status, message = _status(exc), str(exc)
        else:
            messages.success(request, "Response saved. The auditor sees it with the finding.")
            return redirect("audits:finding_respond", finding_id=finding.pk)
    context = {
        "finding": finding,
        "finding_badge": FindingKind(finding.kind).badge,
        "report": report,
        "form": form if open_ else None,
        "attested": attested,
        "message": message,
    }
    return render(request, "audits/work/respond.html", context, status=status)
