"""Publication and corrections, for program admins: the same services and gate as the program pages
(reports/program/views.py): publishing a verified report, correcting a published one with a reason,
and a report's published versions.

A publication is an immutable snapshot. A correction never edits one: it publishes the report's
current content as a new version, and the earlier version stays readable, marked superseded.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.public import AbsoluteUrlField, published_report_api_url
from api.filters import StrictFilterBackend
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, READ, WRITE, problems
from api.serializers import StrictSerializer, TextField
from commitments import access
from commitments.access import Action
from reports.models import Publication
from reports.public.links import report_url
from reports.services import publication_correct, report_publish


class ReportPublicationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    report = serializers.IntegerField(source="report_id")
    version = serializers.IntegerField(help_text="1, then one more per correction.")
    is_current = serializers.BooleanField(help_text="False once a correction supersedes it.")
    published_at = serializers.DateTimeField()
    published_by = serializers.EmailField(source="published_by.email", help_text="The program admin.")
    snapshot_sha256 = serializers.CharField(help_text="SHA-256 of the published snapshot (canonical JSON).")
    supersedes_version = serializers.IntegerField(
        source="supersedes.version", allow_null=True, help_text="The version this one corrects."
    )
    correction_reason = serializers.CharField(help_text="Shown to the public in the corrections log.")
    url = AbsoluteUrlField(help_text="The version's public page.")
    api_url = AbsoluteUrlField(help_text="The version as /published-reports/ gives it.")


def _represent(publication: Publication, request, *, is_current: bool) -> dict:
    publication.is_current = is_current
    publication.url = report_url(publication, versioned=not is_current)
    publication.api_url = published_report_api_url(
        publication.report_id, None if is_current else publication.version
    )
    return ReportPublicationOutput(publication, context={"request": request}).data


def _created(publication: Publication, request) -> Response:
    data = _represent(publication, request, is_current=True)
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["api_url"]})


PUBLICATION_EXAMPLE = {
    "id": 7,
    "report": 42,
    "version": 2,
    "is_current": True,
    "published_at": "2026-02-14T10:03:00Z",
    "published_by": "admin@pledgeproof.example",
    "snapshot_sha256": "9f2c…",
    "supersedes_version": 1,
    "correction_reason": "The metric was entered in the wrong unit; the company sent the right figure.",
    "url": "https://pledgeproof.example/organisations/northwind-models/sbd/2025/",
    "api_url": "https://pledgeproof.example/api/v1/published-reports/42/",
}


@extend_schema(
    tags=["publication"],
    request=None,
    parameters=[IDEMPOTENCY_KEY],
    responses={
        201: OpenApiResponse(
            ReportPublicationOutput, description="Published: `Location` names the published report."
        ),
        **problems(*WRITE, 422),
    },
    examples=[
        OpenApiExample(
            "Version 1",
            value={**PUBLICATION_EXAMPLE, "version": 1, "supersedes_version": None, "correction_reason": ""},
            response_only=True,
        )
    ],
)
class ReportPublishApi(APIView):
    """Publish a verified report (program admins): its public snapshot becomes version 1.

    No body (or `{}`). 409 unless the report is verified (already published, or not yet
    verified). The signed public PDF and the period's open data are rebuilt after it.
    """

    @idempotent
    def post(self, request, pk: int):
        report = access.report_for(request.user, pk, action=Action.PUBLISH)
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        return _created(report_publish(report=report, acting_user=request.user), request)


class ReportCorrectionInput(StrictSerializer):
    reason = TextField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="Why the report is corrected: plain text, shown to the public in the corrections log.",
    )


@extend_schema(
    tags=["publication"],
    request=ReportCorrectionInput,
    parameters=[IDEMPOTENCY_KEY],
    responses={
        201: OpenApiResponse(ReportPublicationOutput, description="The new version: `Location` names it."),
        **problems(*WRITE, 422),
    },
    examples=[
        OpenApiExample(
            "A correction",
            value={"reason": "The metric was entered in the wrong unit; the company sent the right figure."},
            request_only=True,
        ),
        OpenApiExample("Version 2", value=PUBLICATION_EXAMPLE, response_only=True),
    ],
)
class ReportCorrectApi(APIView):
    """Publish a correction of a published report (program admins): its current content as a new
    version, superseding the current one, with the reason.

    400 when there is no reason, or when the report says the same as its published version
    (nothing to correct); 409 when the report is not published.
    """

    @idempotent
    def post(self, request, pk: int):
        report = access.report_for(request.user, pk, action=Action.CORRECT)
        body = ReportCorrectionInput(data=request.data)
        body.is_valid(raise_exception=True)
        publication = publication_correct(
            report=report, acting_user=request.user, reason=body.validated_data["reason"]
        )
        return _created(publication, request)


@extend_schema(
    tags=["publication"],
    responses={200: ReportPublicationOutput(many=True), **problems(*READ)},
    examples=[OpenApiExample("The current version", value=PUBLICATION_EXAMPLE, response_only=True)],
)
class ReportPublicationListApi(generics.ListAPIView):
    """A report's published versions, oldest first (program admins, as on the correction page)."""

    serializer_class = ReportPublicationOutput
    filter_backends = [StrictFilterBackend]
    filterset_fields = ["version"]
    queryset = Publication.objects.none()  # for the schema; the report's own below
    ordering = ("version",)

    def get_queryset(self):
        report = access.report_for(self.request.user, self.kwargs["pk"], action=Action.CORRECT)
        superseded = Publication.objects.filter(supersedes=OuterRef("pk"))
        return (
            Publication.objects.filter(report=report)
            .select_related("published_by", "supersedes")
            .annotate(superseded=Exists(superseded))
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = [
            _represent(publication, request, is_current=not publication.superseded) for publication in page
        ]
        return self.get_paginated_response(rows)


urlpatterns: list = [
    path("reports/<id:pk>/publish/", ReportPublishApi.as_view(), name="report-publish"),
    path("reports/<id:pk>/corrections/", ReportCorrectApi.as_view(), name="report-correct"),
    path("reports/<id:pk>/publications/", ReportPublicationListApi.as_view(), name="report-publications"),
]
