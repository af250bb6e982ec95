"""Reporting periods and progress reports: list, read, open a draft, submit (and resubmit).

Each operation asks the gate what the matching web view asks (commitments/views/workspace.py):
reading a report is READ (`report_for` with the editor's queryset), opening one is START_REPORT
on the organisation and READ on the period (`report_start`), submitting is SUBMIT
(`report_submit_view`); the writes are the same services.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.validators import validate_slug
from django.db.models import QuerySet
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import ID_MAX, IdFilter, OneOfFilter, StrictFilterBackend, StrictFilterSet
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, PUBLIC, READ, WRITE, problems
from api.serializers import StrictSerializer, TextField
from commitments import access
from commitments.access import Action
from commitments.errors import ValidationFailed
from commitments.models import Organisation, ProgressReport, ReportingPeriod
from commitments.selectors import reports_for_editor
from commitments.services.reports import EDITABLE_STATES, report_create, report_submit
from commitments.vocabulary import ReportStatus

FRAMEWORK_REF = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "key": {"type": "string"}, "version": {"type": "string"}},
    "required": ["id", "key", "version"],
}


def _framework_ref(framework) -> dict[str, Any]:
    return {"id": framework.pk, "key": framework.key, "version": framework.version}


# --- periods ------------------------------------------------------------------------------------


class PeriodOutput(serializers.ModelSerializer):
    framework = serializers.SerializerMethodField(help_text="The framework version reported on.")

    class Meta:
        model = ReportingPeriod
        fields = ["id", "framework", "label", "starts_on", "ends_on", "due_on"]

    @extend_schema_field(FRAMEWORK_REF)
    def get_framework(self, period: ReportingPeriod) -> dict[str, Any]:
        return _framework_ref(period.framework)


class PeriodFilter(StrictFilterSet):
    framework = IdFilter(field_name="framework_id", help_text="A framework version's id.")
    framework_key = django_filters.CharFilter(field_name="framework__key", help_text="e.g. `sbd`.")

    class Meta:
        model = ReportingPeriod
        fields = ["framework", "framework_key", "label"]


@extend_schema(tags=["periods"], responses={200: PeriodOutput(many=True), **problems(*PUBLIC)})
class PeriodListApi(generics.ListAPIView):
    """Every reporting period, latest first (public, as on the public pages)."""

    permission_classes = [AllowAny]
    serializer_class = PeriodOutput
    filter_backends = [StrictFilterBackend]
    filterset_class = PeriodFilter
    ordering = ("-starts_on", "-id")

    def get_queryset(self) -> QuerySet[ReportingPeriod]:
        access.program_for(self.request.user, action=Action.READ)
        return ReportingPeriod.objects.select_related("framework")


@extend_schema(tags=["periods"], responses={200: PeriodOutput, **problems(*PUBLIC, 404)})
class PeriodDetailApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, pk: int) -> Response:
        period = access.period_for(request.user, pk, action=Action.READ)
        return Response(PeriodOutput(period).data)


# --- reports ------------------------------------------------------------------------------------


class ReportOutput(serializers.ModelSerializer):
    reference = serializers.CharField(help_text="The id printed on the report's documents.")
    organisation = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField()
    items_total = serializers.IntegerField(source="item_total")
    items_answered = serializers.IntegerField(
        source="item_answered", help_text="Items with an implementation status."
    )

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "reference",
            "organisation",
            "period",
            "status",
            "revision",
            "created_at",
            "submitted_at",
            "first_submitted_at",
            "verified_at",
            "published_at",
            "items_total",
            "items_answered",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            "required": ["slug", "name"],
        }
    )
    def get_organisation(self, report: ProgressReport) -> dict[str, str]:
        return {"slug": report.organisation.slug, "name": report.organisation.name}

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "label": {"type": "string"},
                "framework": FRAMEWORK_REF,
            },
            "required": ["id", "label", "framework"],
        }
    )
    def get_period(self, report: ProgressReport) -> dict[str, Any]:
        period = report.period
        return {"id": period.pk, "label": period.label, "framework": _framework_ref(period.framework)}


class ReportItemSummary(serializers.Serializer):
    id = serializers.IntegerField()
    node_id = serializers.CharField(source="node.node_id")
    code = serializers.CharField(source="node.code")
    title = serializers.CharField(source="node.title")
    status = serializers.CharField(help_text="An implementation status, or empty while unanswered.")
    carried_forward = serializers.BooleanField()
    version = serializers.IntegerField()


class ReportDetailOutput(ReportOutput):
    editable = serializers.SerializerMethodField(
        help_text="Whether you may change its items now (your role, and the report's state)."
    )
    can_submit = serializers.SerializerMethodField(help_text="Whether you may submit it now.")
    items = serializers.SerializerMethodField(help_text="Its items in framework order, in brief.")

    class Meta(ReportOutput.Meta):
        fields = [*ReportOutput.Meta.fields, "editable", "can_submit", "items"]

    def _open(self, report: ProgressReport, action: Action) -> bool:
        return report.status in EDITABLE_STATES and access.can(self.context["request"].user, action, report)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_editable(self, report: ProgressReport) -> bool:
        return self._open(report, Action.EDIT)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_can_submit(self, report: ProgressReport) -> bool:
        return self._open(report, Action.SUBMIT)

    @extend_schema_field(ReportItemSummary(many=True))
    def get_items(self, report: ProgressReport) -> list[dict[str, Any]]:
        items = report.items.select_related("node").order_by("node__position", "pk")
        return ReportItemSummary(items, many=True).data


def report_representation(request: Request, report_id: int) -> dict[str, Any]:
    """A report as the detail shows it, read afresh (after a change)."""
    report = reports_for_editor().get(pk=report_id)
    return ReportDetailOutput(report, context={"request": request}).data


class ReportFilter(StrictFilterSet):
    organisation = django_filters.CharFilter(
        field_name="organisation__slug", help_text="An organisation's slug."
    )
    period = IdFilter(field_name="period_id", help_text="A reporting period's id.")
    status = OneOfFilter(choices=ReportStatus.choices)

    class Meta:
        model = ProgressReport
        fields = ["organisation", "period", "status"]


class ReportCreateInput(StrictSerializer):
    """The organisation and the reporting period of the report to open."""

    organisation = TextField(
        max_length=Organisation._meta.get_field("slug").max_length,
        validators=[validate_slug],
        help_text="The organisation's slug.",
    )
    period = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The reporting period's id.")
    carry_forward = serializers.BooleanField(
        default=False,
        help_text="Start from the organisation's latest published answers on the same framework "
        "(marked carried forward until edited).",
    )


REPORT_EXAMPLE = OpenApiExample(
    "A draft",
    value={
        "id": 41,
        "reference": "PP-2026-000041",
        "organisation": {"slug": "tamarind", "name": "Tamarind Image Works"},
        "period": {"id": 3, "label": "2026", "framework": {"id": 1, "key": "sbd", "version": "2024.1"}},
        "status": "draft",
        "revision": 0,
        "created_at": "2026-12-01T09:00:00Z",
        "submitted_at": None,
        "first_submitted_at": None,
        "verified_at": None,
        "published_at": None,
        "items_total": 21,
        "items_answered": 0,
        "editable": True,
        "can_submit": True,
        "items": [
            {
                "id": 812,
                "node_id": "sbd.develop.1.m1",
                "code": "M1",
                "title": "Responsibly source training datasets",
                "status": "",
                "carried_forward": False,
                "version": 1,
            }
        ],
    },
    response_only=True,
)


@extend_schema(tags=["reports"], responses={200: ReportOutput(many=True), **problems(*READ)})
class ReportListApi(generics.ListAPIView):
    """The reports you may read: your organisations' (members), every one (program staff), those of
    your open engagements (auditors). Filter by organisation slug, period id and status."""

    serializer_class = ReportOutput
    filter_backends = [StrictFilterBackend]
    filterset_class = ReportFilter
    ordering = ("id",)

    def get_queryset(self) -> QuerySet[ProgressReport]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ProgressReport.objects.none()
        return reports_for_editor().filter(access.reports_where(self.request.user, Action.READ))


class ReportCreateApi(APIView):
    @extend_schema(
        tags=["reports"],
        description=(
            "Open the organisation's report for a period, one unanswered item per mitigation (organisation "
            "officers and program admins). An organisation or period you cannot see answers 404, as a path "
            "would; a report that exists already, or a framework the organisation has not signed, 400."
        ),
        request=ReportCreateInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(ReportDetailOutput, description="Opened; `Location` names it."),
            **problems(*WRITE, 422),
        },
        examples=[
            OpenApiExample(
                "A draft for 2026",
                value={"organisation": "tamarind", "period": 3, "carry_forward": False},
                request_only=True,
            ),
            REPORT_EXAMPLE,
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = ReportCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisation = access.organisation_for(request.user, data["organisation"], action=Action.START_REPORT)
        period = access.period_for(request.user, data["period"], action=Action.READ)
        report = report_create(
            organisation=organisation,
            period=period,
            acting_user=request.user,
            carry_forward=data["carry_forward"],
        )
        return Response(
            report_representation(request, report.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api:report-detail", kwargs={"pk": report.pk})},
        )


class ReportsApi(ReportListApi, ReportCreateApi):
    """/reports/: GET is ReportListApi, POST is ReportCreateApi (one class per operation; one path)."""


@extend_schema(
    tags=["reports"],
    responses={200: ReportDetailOutput, **problems(*READ)},
    examples=[REPORT_EXAMPLE],
)
class ReportDetailApi(APIView):
    """A report with its items in brief (`/reports/{id}/items/` has them whole)."""

    def get(self, request: Request, pk: int) -> Response:
        report = access.report_for(request.user, pk, action=Action.READ, queryset=reports_for_editor())
        return Response(ReportDetailOutput(report, context={"request": request}).data)


class ReportSubmitInput(StrictSerializer):
    """No fields: a submission carries nothing but itself."""


class ReportSubmitApi(APIView):
    @extend_schema(
        tags=["reports"],
        description=(
            "Submit the report for review (its organisation's officers): a draft, or a report whose "
            "reviewer requested changes. This one operation is also the resubmission; there is no separate "
            "path. Refused with 400 while items need attention: `errors` lists each problem, its `pointer` "
            "naming the item by node id (`#/items/<node_id>`); with 409 when the report is not open for "
            "submission (submitted already, in review, verified, published). Send an `Idempotency-Key` so "
            "that a retry after a lost answer does not submit twice."
        ),
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: ReportDetailOutput, **problems(*WRITE, 422)},
        examples=[REPORT_EXAMPLE],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        report = access.report_for(request.user, pk, action=Action.SUBMIT, queryset=reports_for_editor())
        ReportSubmitInput(data=request.data or {}).is_valid(raise_exception=True)
        try:
            submitted = report_submit(report=report, acting_user=request.user)
        except ValidationFailed as exc:
            # Keyed by node id in the service (the web editor's items); pointed into the report's items here.
            raise ValidationFailed(str(exc), {"items": exc.problems}) from exc
        return Response(report_representation(request, submitted.pk))


urlpatterns = [
    path("periods/", PeriodListApi.as_view(), name="period-list"),
    path("periods/<id:pk>/", PeriodDetailApi.as_view(), name="period-detail"),
    path("reports/", ReportsApi.as_view(), name="report-list"),
    path("reports/<id:pk>/", ReportDetailApi.as_view(), name="report-detail"),
    path("reports/<id:pk>/submit/", ReportSubmitApi.as_view(), name="report-submit"),
]
