"""The auditor's work on an item: its workpaper (read, saved, signed off by a second auditor) and its
finding (recorded, read by the engagement's auditors and the organisation's officers, answered
with the company's response).

Objects come through the gate as on the audit pages (audits/views/work.py): the engagement with
`engagement_for(AUDIT)`, then only items of its scope; a finding is read by its engagement's
auditors and, as on its response page, by the organisation's officers (`report_for(RESPOND)`:
the organisation's other members get 403, anyone else 404). Updates honour If-Match, compared
with the engagement's row locked: every change to an engagement's work locks it first
(audits/services/work.py), so no change can come between the comparison and the save.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.audits.shared import (
    TAG,
    ItemRefOutput,
    PersonOutput,
    check_precondition,
    engagement_for,
    item_in_scope,
    officers_or_auditors,
    validated,
)
from api.concurrency import etag_of
from api.filters import IdFilter, OneOfFilter, StrictFilterSet
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, IF_MATCH, READ, WRITE, problems
from api.serializers import StrictSerializer
from audits.models import Attestation, Engagement, Finding, Workpaper
from audits.services.work import finding_record, finding_respond, workpaper_save, workpaper_sign_off
from commitments import access
from commitments.access import Action
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import FindingKind

TEXT = f"Plain text, at most {MAX_CHARS:,} characters."


def _lock(engagement: Engagement) -> None:
    """Hold the engagement's row, as the work services do first, for the If-Match comparison."""
    Engagement.objects.select_for_update().filter(pk=engagement.pk).first()


def _respond(data: dict[str, Any], *, created: bool, location: str) -> Response:
    response = Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
    response["ETag"] = etag_of(data)
    if created:
        response["Location"] = location
    return response


# --- workpapers ----------------------------------------------------------------------------------


class WorkpaperOutput(serializers.Serializer):
    id = serializers.IntegerField()
    engagement = serializers.IntegerField(source="engagement_id")
    item = ItemRefOutput()
    procedure = serializers.CharField(help_text="The test procedure performed.")
    population = serializers.CharField(help_text="What was examined: the population tested.")
    sample = serializers.CharField(help_text="Which evidence and which records were tested.")
    result = serializers.CharField()
    conclusion = serializers.CharField()
    prepared_by = PersonOutput(help_text="Whoever saved it last.")
    prepared_at = serializers.DateTimeField()
    reviewed_by = PersonOutput(allow_null=True, help_text="The second auditor who signed it off, if any.")
    reviewed_at = serializers.DateTimeField(allow_null=True)


class WorkpaperInput(StrictSerializer):
    procedure = serializers.CharField(help_text="The test procedure performed. " + TEXT)
    population = serializers.CharField(help_text="What was examined: the population tested. " + TEXT)
    sample = serializers.CharField(help_text="Which evidence and which records were tested. " + TEXT)
    result = serializers.CharField(help_text=TEXT)
    conclusion = serializers.CharField(help_text=TEXT)


def _workpaper(engagement: Engagement, item) -> Workpaper | None:
    paper = (
        Workpaper.objects.select_related("prepared_by", "reviewed_by")
        .filter(engagement=engagement, item=item)
        .first()
    )
    if paper is not None:
        paper.item = item
    return paper


def _workpaper_data(paper: Workpaper | None) -> dict[str, Any] | None:
    return WorkpaperOutput(paper).data if paper is not None else None


def workpaper_url(engagement: Engagement, item) -> str:
    return reverse("api:workpaper", args=[engagement.pk, item.pk])


WORKPAPER_EXAMPLE = OpenApiExample(
    "A workpaper",
    value={
        "procedure": "Inspected the moderation policy and traced three escalations to the case log.",
        "population": "All 412 escalations logged in 2026.",
        "sample": "Cases 17, 203 and 388, with the policy of 5 January 2026.",
        "result": "Each escalation was handled within the policy's 24 hours.",
        "conclusion": "The control operated as described.",
    },
    request_only=True,
)


class WorkpaperApi(APIView):
    """GET reads the item's workpaper (with its ETag); PUT writes it. One path, two operations."""

    @extend_schema(
        tags=[TAG],
        summary="The item's workpaper (the engagement's auditors)",
        description="404 until one is saved. The `ETag` is what PUT's `If-Match` names.",
        responses={200: WorkpaperOutput, **problems(*READ)},
    )
    def get(self, request, pk: int, item_id: int):
        engagement = engagement_for(request, pk, Action.AUDIT)
        item = item_in_scope(request, engagement, item_id)
        paper = _workpaper(engagement, item)
        if paper is None:
            raise Http404(access.NOT_FOUND)
        data = _workpaper_data(paper)
        return Response(data, headers={"ETag": etag_of(data)})

    @extend_schema(
        tags=[TAG],
        summary="Save the item's workpaper (the engagement's auditors)",
        description=(
            "Creates it (201) or replaces it (200); whoever saves it is its preparer. Saving a signed-off "
            "workpaper with changes clears its sign-off (it needs a fresh review); saving it unchanged "
            "changes nothing. Refused (409) once the engagement is attested. With `If-Match`, refused "
            "(412) if it changed since you read it."
        ),
        request=WorkpaperInput,
        responses={200: WorkpaperOutput, 201: WorkpaperOutput, **problems(*WRITE, 412)},
        parameters=[IF_MATCH],
        examples=[WORKPAPER_EXAMPLE],
    )
    def put(self, request, pk: int, item_id: int):
        engagement = engagement_for(request, pk, Action.AUDIT)
        item = item_in_scope(request, engagement, item_id)
        texts = validated(WorkpaperInput, request)
        with transaction.atomic():
            _lock(engagement)
            before = _workpaper_data(_workpaper(engagement, item))
            check_precondition(request, before, "workpaper")
            workpaper_save(engagement=engagement, item=item, acting_user=request.user, **texts)
        return _respond(
            _workpaper_data(_workpaper(engagement, item)),
            created=before is None,
            location=workpaper_url(engagement, item),
        )


@extend_schema(
    tags=[TAG],
    summary="Sign off the item's workpaper (a second auditor of the engagement)",
    description=(
        "Four eyes: where an engagement has two or more auditors, an auditor other than its preparer "
        "signs it off (the preparer is refused, 403). 409 with one auditor, or if already signed off."
    ),
    request=None,
    responses={200: WorkpaperOutput, **problems(*WRITE, 412, 422)},
    parameters=[IF_MATCH, IDEMPOTENCY_KEY],
)
class WorkpaperSignOffApi(APIView):
    @idempotent
    def post(self, request, pk: int, item_id: int):
        engagement = engagement_for(request, pk, Action.AUDIT)
        item = item_in_scope(request, engagement, item_id)
        with transaction.atomic():
            _lock(engagement)
            paper = _workpaper(engagement, item)
            if paper is None:
                raise Http404(access.NOT_FOUND)
            check_precondition(request, _workpaper_data(paper), "workpaper")
            workpaper_sign_off(workpaper=paper, acting_user=request.user)
        data = _workpaper_data(_workpaper(engagement, item))
        return Response(data, headers={"ETag": etag_of(data)})


# --- findings ------------------------------------------------------------------------------------


class FollowUpOutput(serializers.Serializer):
    """The organisation's follow-up of a nonconformity's corrective action, in its next report."""

    report = serializers.IntegerField(source="followed_up_in_id", help_text="The report it is written in.")
    text = serializers.CharField(source="follow_up")
    by = PersonOutput(source="followed_up_by")
    at = serializers.DateTimeField(source="followed_up_at")


class FindingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    engagement = serializers.IntegerField(source="engagement_id")
    item = ItemRefOutput()
    kind = serializers.ChoiceField(choices=FindingKind.choices)
    description = serializers.CharField()
    recommended_action = serializers.CharField(help_text="Required for a nonconformity.")
    corrective_action = serializers.CharField(
        help_text="What the organisation will do; followed up in its next report."
    )
    company_response = serializers.CharField(
        help_text="The organisation's officers' response; empty until written."
    )
    recorded_by = PersonOutput()
    recorded_at = serializers.DateTimeField()
    attested = serializers.SerializerMethodField(
        help_text="Whether its engagement is attested: then it no longer changes, and it is public."
    )
    follow_up = serializers.SerializerMethodField(
        help_text="Once attested, the organisation's follow-up of a nonconformity's corrective action in its "
        "next report (written in that report's editor, or PUT /api/v1/reports/{id}/follow-ups/{finding}/); "
        "null until written."
    )

    def get_attested(self, finding) -> bool:
        return finding.attested

    @extend_schema_field(FollowUpOutput(allow_null=True))
    def get_follow_up(self, finding) -> dict[str, Any] | None:
        return FollowUpOutput(finding).data if finding.followed_up_in_id is not None else None


def findings() -> QuerySet[Finding]:
    """Findings with what their representation shows, in one query."""
    return Finding.objects.select_related(
        "engagement",
        "item__node",
        "item__report__organisation",
        "item__report__period",
        "recorded_by",
        "followed_up_by",
    ).annotate(attested=Exists(Attestation.objects.filter(engagement=OuterRef("engagement_id"))))


def finding_data(pk: int) -> dict[str, Any]:
    return FindingOutput(findings().get(pk=pk)).data


def finding_url(finding: Finding) -> str:
    return reverse("api:finding-detail", args=[finding.pk])


def finding_for(request, pk: int) -> Finding:
    """The finding, for its engagement's auditors (while they may audit its item) and, as its response
    page, for the organisation's officers; refused as that page refuses anyone else."""
    finding = findings().filter(pk=pk).first()
    if finding is None:
        raise Http404(access.NOT_FOUND)
    user, report = request.user, finding.item.report
    if access.can(user, Action.AUDIT, finding.engagement) and access.can(user, Action.AUDIT, report):
        return finding  # a finding is recorded only on an item of its engagement's scope
    access.report_for(user, report.pk, action=Action.RESPOND)
    return finding


class FindingFilter(StrictFilterSet):
    engagement = IdFilter(field_name="engagement_id", help_text="One engagement's findings.")
    item = IdFilter(field_name="item_id", help_text="One item's findings.")
    kind = OneOfFilter(choices=FindingKind.choices)

    class Meta:
        model = Finding
        fields = ["engagement", "item", "kind"]


@extend_schema(
    tags=[TAG],
    summary="The findings you may read",
    description=(
        "An organisation's officers see the findings on its reports (to respond to them); an auditor, "
        "the findings of the engagements they may work on now."
    ),
    responses={200: FindingOutput(many=True), **problems(*READ)},
)
class FindingListApi(generics.ListAPIView):
    serializer_class = FindingOutput
    queryset = Finding.objects.none()  # for the schema
    filterset_class = FindingFilter
    ordering = ("id",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        return findings().filter(officers_or_auditors(self.request.user))  # finding_for's ways in


@extend_schema(
    tags=[TAG],
    summary="One finding",
    description="The `ETag` is what the updates' `If-Match` names (the finding and the response).",
    responses={200: FindingOutput, **problems(*READ)},
)
class FindingDetailApi(APIView):
    def get(self, request, pk: int):
        data = FindingOutput(finding_for(request, pk)).data
        return Response(data, headers={"ETag": etag_of(data)})


class FindingInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=FindingKind.choices)
    description = serializers.CharField(help_text=TEXT)
    recommended_action = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for a nonconformity. " + TEXT
    )
    corrective_action = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="What the organisation will do; followed up in its next report. " + TEXT,
    )


@extend_schema(
    tags=[TAG],
    summary="Record the item's finding (the engagement's auditors)",
    description=(
        "Creates it (201) or replaces it (200), until the engagement is attested (then 409). With "
        "`If-Match` (the ETag of GET /findings/{id}/), refused (412) if it changed since you read it."
    ),
    request=FindingInput,
    responses={200: FindingOutput, 201: FindingOutput, **problems(*WRITE, 412)},
    parameters=[IF_MATCH],
    examples=[
        OpenApiExample(
            "A nonconformity",
            value={
                "kind": "nonconformity",
                "description": "Two of the three sampled escalations exceeded the policy's 24 hours.",
                "recommended_action": "Staff the escalation queue at weekends.",
                "corrective_action": "",
            },
            request_only=True,
        )
    ],
)
class FindingRecordApi(APIView):
    def put(self, request, pk: int, item_id: int):
        engagement = engagement_for(request, pk, Action.AUDIT)
        item = item_in_scope(request, engagement, item_id)
        data = validated(FindingInput, request)
        with transaction.atomic():
            _lock(engagement)
            existing = findings().filter(engagement=engagement, item=item).first()
            check_precondition(request, FindingOutput(existing).data if existing else None, "finding")
            finding = finding_record(engagement=engagement, item=item, acting_user=request.user, **data)
        return _respond(finding_data(finding.pk), created=existing is None, location=finding_url(finding))


class ResponseInput(StrictSerializer):
    company_response = serializers.CharField(help_text=TEXT)


@extend_schema(
    tags=[TAG],
    summary="Write the company's response to a finding (the organisation's compliance officers)",
    description=(
        "To an observation or a nonconformity (409 for a finding that the item conforms), until the "
        "engagement is attested (then 409); it is published beside the finding once attested. With "
        "`If-Match`, refused (412) if the finding changed since you read it."
    ),
    request=ResponseInput,
    responses={200: FindingOutput, **problems(*WRITE, 412)},
    parameters=[IF_MATCH],
    examples=[
        OpenApiExample(
            "A response",
            value={"company_response": "Weekend staffing of the escalation queue starts on 1 November."},
            request_only=True,
        )
    ],
)
class FindingRespondApi(APIView):
    def put(self, request, pk: int):
        finding = findings().filter(pk=pk).first()
        if finding is None:
            raise Http404(access.NOT_FOUND)
        access.report_for(request.user, finding.item.report_id, action=Action.RESPOND)
        data = validated(ResponseInput, request)
        with transaction.atomic():
            _lock(finding.engagement)
            check_precondition(request, finding_data(finding.pk), "finding")
            finding_respond(finding=finding, acting_user=request.user, **data)
        data = finding_data(finding.pk)
        return Response(data, headers={"ETag": etag_of(data)})


urlpatterns = [
    path("engagements/<id:pk>/items/<id:item_id>/workpaper/", WorkpaperApi.as_view(), name="workpaper"),
    path(
        "engagements/<id:pk>/items/<id:item_id>/workpaper/sign-off/",
        WorkpaperSignOffApi.as_view(),
        name="workpaper-sign-off",
    ),
    path(
        "engagements/<id:pk>/items/<id:item_id>/finding/", FindingRecordApi.as_view(), name="finding-record"
    ),
    path("findings/", FindingListApi.as_view(), name="finding-list"),
    path("findings/<id:pk>/", FindingDetailApi.as_view(), name="finding-detail"),
    path("findings/<id:pk>/response/", FindingRespondApi.as_view(), name="finding-respond"),
]
