"""Signed PDFs (the web app's Documents pages): a report's or a period's documents, asking for one
(rendered in the background: poll its status), retrying a failed one, downloading a ready one.
Who sees and asks for which kind is the access gate's DOCUMENTS rules, as on the web pages."""

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.downloads import FileDownloadApi
from api.idempotency import idempotent
from api.pagination import Cursor
from api.schema import IDEMPOTENCY_KEY, READ, WRITE, problems
from api.serializers import StrictSerializer
from commitments import access
from commitments.access import Action
from reports.models import ArtifactKind
from reports.pdf.responses import artifact_file_response
from reports.pdf.selectors import REPORT_KINDS, period_summaries, report_documents
from reports.pdf.services import artifact_request, artifact_retry


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    document_id = serializers.CharField(
        help_text="The id printed on every page, e.g. PP-2025-000012-public-v2."
    )
    kind = serializers.ChoiceField(choices=ArtifactKind.choices)
    version = serializers.IntegerField()
    status = serializers.CharField(help_text="pending, ready or failed: poll the document until it is ready.")
    stuck = serializers.BooleanField(
        source="is_stuck",
        default=False,
        help_text="Pending for longer than rendering may take: it may be retried.",
    )
    failure_reason = serializers.CharField()
    sha256 = serializers.CharField(help_text="Of the signed PDF, once ready (empty before).")
    size_bytes = serializers.IntegerField(allow_null=True)
    requested_at = serializers.DateTimeField()
    rendered_at = serializers.DateTimeField(allow_null=True)
    download = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_download(self, artifact) -> str | None:
        if artifact.status != "ready":
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:document-download", args=[artifact.pk])
        )

    def get_url(self, artifact) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:document-detail", args=[artifact.pk]))


class ReportDocumentRequestInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in REPORT_KINDS])


def _accepted(request, artifact) -> Response:
    body = DocumentOutput(artifact, context={"request": request}).data
    return Response(body, status=202, headers={"Location": body["url"]})


class _Listing(APIView):
    pagination_class = Cursor
    ordering = ("-version", "-id")

    def _page(self, request, queryset) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            DocumentOutput(page, many=True, context={"request": request}).data
        )


class ReportDocumentListApi(_Listing):
    """A report's signed PDFs of the kinds you may see (public; the audit PDF for program staff and
    engaged auditors), newest first."""

    @extend_schema(tags=["documents"], responses={200: DocumentOutput(many=True), **problems(*READ)})
    def get(self, request, pk: int):
        report = access.report_for(request.user, pk, action=Action.READ_DOCUMENTS)
        return self._page(request, report_documents(request.user, report))


class ReportDocumentRequestApi(APIView):
    @extend_schema(
        tags=["documents"],
        request=ReportDocumentRequestInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: DocumentOutput, **problems(*WRITE)},
        description="Ask for a new version of a report's public or audit PDF: 202 with the document "
        "(pending), rendered in the background; poll its `url` until `status` is `ready`.",
    )
    @idempotent
    def post(self, request, pk: int):
        body = ReportDocumentRequestInput(data=request.data)
        body.is_valid(raise_exception=True)
        kind = body.validated_data["kind"]
        report = access.report_for(request.user, pk, action=access.document_action(kind, Action.REQUEST_PDF))
        return _accepted(request, artifact_request(kind=kind, acting_user=request.user, report=report))


class PeriodDocumentListApi(_Listing):
    """A reporting period's program summaries (program staff and auditors)."""

    @extend_schema(tags=["documents"], responses={200: DocumentOutput(many=True), **problems(*READ)})
    def get(self, request, pk: int):
        period = access.period_for(
            request.user, pk, action=access.document_action(ArtifactKind.SUMMARY, Action.READ)
        )
        return self._page(request, period_summaries(period))


class PeriodDocumentRequestApi(APIView):
    @extend_schema(
        tags=["documents"],
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: DocumentOutput, **problems(*WRITE)},
        description="Ask for a new version of the period's program summary (202; poll its `url`).",
    )
    @idempotent
    def post(self, request, pk: int):
        period = access.period_for(
            request.user, pk, action=access.document_action(ArtifactKind.SUMMARY, Action.REQUEST_PDF)
        )
        return _accepted(
            request, artifact_request(kind=ArtifactKind.SUMMARY, acting_user=request.user, period=period)
        )


class DocumentDetailApi(APIView):
    @extend_schema(tags=["documents"], responses={200: DocumentOutput, **problems(*READ)})
    def get(self, request, pk: int):
        artifact = access.artifact_for(request.user, pk, action=Action.READ)
        artifact = type(artifact).objects.with_stuck_flag().get(pk=artifact.pk)
        return Response(DocumentOutput(artifact, context={"request": request}).data)


class DocumentRetryApi(APIView):
    @extend_schema(
        tags=["documents"],
        request=None,
        responses={202: DocumentOutput, **problems(*WRITE)},
        description="Queue a failed PDF again, or one stuck pending (409 otherwise).",
    )
    def post(self, request, pk: int):
        artifact = access.artifact_for(request.user, pk, action=Action.REQUEST_PDF)
        return _accepted(request, artifact_retry(artifact=artifact, acting_user=request.user))


class DocumentDownloadApi(FileDownloadApi):
    @extend_schema(
        tags=["documents"],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The signed PDF."),
            **problems(*READ),
        },
        description="The signed PDF (404 while it is not ready). Its SHA-256 is the `ETag`.",
    )
    def get(self, request, pk: int):
        artifact = access.artifact_for(request.user, pk, action=Action.READ)
        return artifact_file_response(artifact)


urlpatterns = [
    path("reports/<id:pk>/documents/", ReportDocumentListApi.as_view(), name="report-documents"),
    path(
        "reports/<id:pk>/documents/request/",
        ReportDocumentRequestApi.as_view(),
        name="report-document-request",
    ),
    path("periods/<id:pk>/documents/", PeriodDocumentListApi.as_view(), name="period-documents"),
    path(
        "periods/<id:pk>/documents/request/",
        PeriodDocumentRequestApi.as_view(),
        name="period-document-request",
    ),
    path("documents/<id:pk>/", DocumentDetailApi.as_view(), name="document-detail"),
    path("documents/<id:pk>/retry/", DocumentRetryApi.as_view(), name="document-retry"),
    path("documents/<id:pk>/download/", DocumentDownloadApi.as_view(), name="document-download"),
]
