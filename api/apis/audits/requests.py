"""Evidence requests: the auditor opens one on an item of the engagement's scope and closes it; the
organisation's officers answer with a reply, a file, or both; the file answered is downloaded by
those who may read the request, each download ledgered.

A request is seen, as on its page (audits/views/requests.py `request_for`), by the organisation's
officers and by the auditors of its engagement while they may audit the item; to anyone else it
is as unknown as an id never issued. The services (audits/services/requests.py) decide the rest:
an auditor answering or an officer closing is refused (403) there, with the gate's words.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.audits.shared import (
    TAG,
    ItemRefOutput,
    PersonOutput,
    engagement_for,
    item_in_scope,
    officers_or_auditors,
    validated,
)
from api.downloads import FileDownloadApi
from api.filters import IdFilter, OneOfFilter, StrictFilterSet
from api.idempotency import idempotent
from api.parsers import LimitedJSONParser
from api.schema import IDEMPOTENCY_KEY, READ, WRITE, problems
from api.serializers import StrictSerializer
from audits.models import EvidenceRequest, EvidenceRequestReply
from audits.selectors_requests import request_age, requests_with_replies
from audits.services.requests import (
    MESSAGE_MAX,
    request_answer,
    request_close,
    request_file_opened,
    request_open,
)
from audits.views.requests import request_for
from commitments import access
from commitments.access import Action
from commitments.evidence_downloads import evidence_file_response
from commitments.evidence_storage import open_blob
from commitments.vocabulary import RequestStatus

# --- what is shown ---------------------------------------------------------------------------------


class ReplyFileOutput(serializers.Serializer):
    name = serializers.CharField(source="file_name", help_text="The name it was uploaded under.")
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    media_type = serializers.CharField(help_text="Judged from the content, not the name.")
    download = serializers.SerializerMethodField(
        help_text="Where to download it (each download is ledgered)."
    )

    def get_download(self, reply) -> str:
        return reverse("api:evidence-request-reply-file", args=[reply.request_id, reply.pk])


class ReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = PersonOutput()
    message = serializers.CharField()
    file = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(ReplyFileOutput(allow_null=True))
    def get_file(self, reply) -> dict[str, Any] | None:
        return ReplyFileOutput(reply).data if reply.storage_name else None


class EvidenceRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    engagement = serializers.IntegerField(source="engagement_id")
    item = ItemRefOutput()
    message = serializers.CharField()
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField(help_text="Open, and past its due date.")
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    requested_by = PersonOutput()
    created_at = serializers.DateTimeField()
    closed_by = PersonOutput(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    replies = ReplyOutput(many=True, help_text="The organisation's answers, oldest first.")

    def get_overdue(self, evidence_request) -> bool:
        return request_age(evidence_request).overdue


def request_url(evidence_request: EvidenceRequest) -> str:
    return reverse("api:evidence-request-detail", args=[evidence_request.pk])


def request_data(pk: int) -> dict[str, Any]:
    return EvidenceRequestOutput(requests_with_replies().get(pk=pk)).data


# --- the list ------------------------------------------------------------------------------------


class EvidenceRequestFilter(StrictFilterSet):
    engagement = IdFilter(field_name="engagement_id", help_text="One engagement's requests.")
    item = IdFilter(field_name="item_id", help_text="One item's requests.")
    status = OneOfFilter(choices=RequestStatus.choices)

    class Meta:
        model = EvidenceRequest
        fields = ["engagement", "item", "status"]


@extend_schema(
    tags=[TAG],
    summary="The evidence requests you may read",
    description=(
        "An organisation's officers see the requests made of it; an auditor, the requests of the "
        "engagements they may work on now. Newest first."
    ),
    responses={200: EvidenceRequestOutput(many=True), **problems(*READ)},
)
class EvidenceRequestListApi(generics.ListAPIView):
    serializer_class = EvidenceRequestOutput
    queryset = EvidenceRequest.objects.none()  # for the schema
    filterset_class = EvidenceRequestFilter
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EvidenceRequest.objects.none()
        # request_for's ways in, as a query
        return requests_with_replies().filter(officers_or_auditors(self.request.user))


# --- opening, reading, answering, closing -------------------------------------------------------------


class RequestOpenInput(StrictSerializer):
    message = serializers.CharField(help_text=f"What you need; at most {MESSAGE_MAX:,} characters.")
    due_on = serializers.DateField(help_text="Today or later, and within the engagement's window.")


@extend_schema(
    tags=[TAG],
    summary="Ask the organisation for more on an item (the engagement's auditors)",
    description="The organisation's compliance officers are told by email.",
    request=RequestOpenInput,
    responses={201: EvidenceRequestOutput, **problems(*WRITE, 422)},
    parameters=[IDEMPOTENCY_KEY],
    examples=[
        OpenApiExample(
            "A request",
            value={
                "message": "Please send the hash-matching logs for March, with the escalation records.",
                "due_on": "2026-10-15",
            },
            request_only=True,
        )
    ],
)
class EvidenceRequestOpenApi(APIView):
    @idempotent
    def post(self, request, pk: int, item_id: int):
        engagement = engagement_for(request, pk, Action.AUDIT)
        item = item_in_scope(request, engagement, item_id)
        data = validated(RequestOpenInput, request)
        evidence_request = request_open(engagement=engagement, item=item, acting_user=request.user, **data)
        return Response(
            request_data(evidence_request.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": request_url(evidence_request)},
        )


@extend_schema(
    tags=[TAG],
    summary="One evidence request, with its answers",
    responses={200: EvidenceRequestOutput, **problems(*READ)},
)
class EvidenceRequestDetailApi(APIView):
    def get(self, request, pk: int):
        evidence_request, _role = request_for(request.user, pk)
        return Response(EvidenceRequestOutput(evidence_request).data)


class AnswerInput(StrictSerializer):
    message = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Your reply; a reply, a file, or both."
    )
    file = serializers.FileField(
        required=False,
        help_text="Multipart only. PDF, plain text, Markdown, CSV or JSON, judged by its content as evidence "
        "uploads are; images, archives and programs are refused. Only the auditors see it.",
    )


@extend_schema(
    tags=[TAG],
    summary="Answer an evidence request (the organisation's compliance officers)",
    description=(
        "JSON with a `message`, or multipart/form-data with a `message` and/or a `file`. The file is kept "
        "with the answer, for the auditors: it does not change the report. Send an Idempotency-Key so "
        "that a retried upload never answers twice."
    ),
    request={"application/json": AnswerInput, "multipart/form-data": AnswerInput},
    responses={201: ReplyOutput, **problems(*WRITE, 422, 503)},
    parameters=[IDEMPOTENCY_KEY],
    examples=[
        OpenApiExample(
            "A reply",
            value={"message": "The March logs are attached; the escalation records follow by Friday."},
            request_only=True,
        )
    ],
)
class EvidenceRequestAnswerApi(APIView):
    parser_classes = [LimitedJSONParser, MultiPartParser]

    @idempotent
    def post(self, request, pk: int):
        evidence_request, _role = request_for(request.user, pk)
        data = validated(AnswerInput, request)
        reply = request_answer(
            request=evidence_request,
            acting_user=request.user,
            message=data["message"],
            file=data.get("file"),
        )
        reply = EvidenceRequestReply.objects.select_related("author").get(pk=reply.pk)
        return Response(
            ReplyOutput(reply).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request_url(evidence_request)},
        )


@extend_schema(
    tags=[TAG],
    summary="Close an evidence request (the engagement's auditors)",
    request=None,
    responses={200: EvidenceRequestOutput, **problems(*WRITE, 422)},
    parameters=[IDEMPOTENCY_KEY],
)
class EvidenceRequestCloseApi(APIView):
    @idempotent
    def post(self, request, pk: int):
        evidence_request, _role = request_for(request.user, pk)
        request_close(request=evidence_request, acting_user=request.user)
        return Response(request_data(evidence_request.pk))


@extend_schema(
    tags=[TAG],
    summary="Download the file given in answer",
    description=(
        "As an attachment, with the type judged from its content, `X-Content-Type-Options: nosniff` and a "
        "sandboxing Content-Security-Policy. Such files are restricted: each download is ledgered."
    ),
    responses={
        (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
        **problems(*READ),
    },
)
class EvidenceRequestReplyFileApi(FileDownloadApi):
    def get(self, request, pk: int, reply_id: int):
        evidence_request, _role = request_for(request.user, pk)
        reply = next((r for r in evidence_request.replies.all() if r.pk == reply_id and r.storage_name), None)
        if reply is None:
            raise Http404(access.NOT_FOUND)
        try:
            handle = open_blob(reply.storage_name)
        except FileNotFoundError:
            raise Http404(access.NOT_FOUND) from None
        request_file_opened(reply=reply, reader=request.user)
        return evidence_file_response(
            handle,
            title=reply.file_name.rsplit(".", 1)[0] or "evidence-request-answer",
            sha256=reply.sha256,
            media_type=reply.media_type,
        )


urlpatterns = [
    path("evidence-requests/", EvidenceRequestListApi.as_view(), name="evidence-request-list"),
    path(
        "engagements/<id:pk>/items/<id:item_id>/evidence-requests/",
        EvidenceRequestOpenApi.as_view(),
        name="evidence-request-open",
    ),
    path("evidence-requests/<id:pk>/", EvidenceRequestDetailApi.as_view(), name="evidence-request-detail"),
    path(
        "evidence-requests/<id:pk>/replies/",
        EvidenceRequestAnswerApi.as_view(),
        name="evidence-request-answer",
    ),
    path(
        "evidence-requests/<id:pk>/close/", EvidenceRequestCloseApi.as_view(), name="evidence-request-close"
    ),
    path(
        "evidence-requests/<id:pk>/replies/<id:reply_id>/file/",
        EvidenceRequestReplyFileApi.as_view(),
        name="evidence-request-reply-file",
    ),
]
