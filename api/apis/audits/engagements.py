"""Audit engagements: the list, one engagement, a new one (program admins), an auditor's
independence declaration, and the items in an engagement's scope (the auditor's workspace).

As on the audit pages (audits/views/engagements.py): an engagement comes through the gate's
`engagement_for` (unknown, or outside its window, to anyone it gives nothing), and an auditor who
has not declared their independence sees the engagement's heading and nothing else of it.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.audits.shared import (
    TAG,
    ItemRefOutput,
    engagement_for,
    id_field,
    person_name,
    validated,
)
from api.filters import IdFilter, OneOfFilter, StrictFilterSet, check_filters
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, READ, WRITE, problems
from api.serializers import StrictSerializer
from audits.forms import EngagementForm
from audits.models import Engagement, EngagementAuditor
from audits.selectors import current_attestations
from audits.selectors_engagements import (
    NO_FINDING,
    Filters,
    engagement_list_for,
    engagements_with_scope,
    workspace,
)
from audits.services.engagements import engagement_create, independence_declare
from commitments import access
from commitments.access import Action
from commitments.models import ImplementationStatus, ItemResponse
from commitments.vocabulary import FindingKind, Verdict

# Bounds of a new engagement's lists: far above any real engagement, low enough that a body of ids
# cannot make the lookups a burden.
MAX_AUDITORS, MAX_ORGANISATIONS, MAX_PERIODS = 50, 500, 200
UNDECLARED = "Null until you have declared your independence (auditors of the engagement)."


# --- what is shown ---------------------------------------------------------------------------------


class OrganisationRefOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class PeriodRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    framework = serializers.CharField(source="framework.key")


class SeatOutput(serializers.Serializer):
    """An auditor of the engagement and their independence declaration."""

    id = serializers.IntegerField(source="auditor.id", help_text="The auditor's user id.")
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="auditor.email")
    declared_at = serializers.DateTimeField(allow_null=True)
    declaration = serializers.CharField(help_text="Empty until they declare.")

    def get_name(self, seat) -> str:
        return person_name(seat.auditor)


class EngagementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    firm = serializers.CharField()
    standard = serializers.CharField()
    scope_statement = serializers.CharField(allow_null=True, help_text=UNDECLARED)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        help_text="The window closes here: from then on the auditors reach nothing."
    )
    is_open = serializers.BooleanField()
    organisations = OrganisationRefOutput(many=True)
    periods = PeriodRefOutput(many=True)
    auditors = SeatOutput(many=True, allow_null=True, help_text=UNDECLARED)
    your_seat = SeatOutput(allow_null=True, help_text="Your own seat, if you are an auditor of it.")
    may_audit = serializers.BooleanField(
        help_text="Whether you may work on it now (its declared auditors, while it is open)."
    )
    attestation = serializers.IntegerField(
        allow_null=True,
        help_text="Its current attestation's id (public: /api/v1/attestations/{id}/), if signed.",
    )
    created_at = serializers.DateTimeField()


def engagement_data(engagement: Engagement, user: Any, attestation_id: int | None) -> dict[str, Any]:
    """The engagement as `user` may see it (read with engagements_with_scope: no query of its own
    but the gate's)."""
    seats = list(engagement.auditors.all())
    own = next((seat for seat in seats if seat.auditor_id == user.pk), None)
    undeclared = own is not None and own.declared_at is None
    shown = {
        "id": engagement.pk,
        "title": engagement.title,
        "firm": engagement.firm,
        "standard": engagement.standard,
        "starts_at": engagement.starts_at,
        "ends_at": engagement.ends_at,
        "scope_statement": None if undeclared else engagement.scope_statement,
        "is_open": engagement.is_open(),
        "organisations": engagement.organisations.all(),
        "periods": engagement.periods.all(),
        "auditors": None if undeclared else seats,
        "your_seat": own,
        "may_audit": access.can(user, Action.AUDIT, engagement),
        "attestation": attestation_id,
        "created_at": engagement.created_at,
    }
    return EngagementOutput(shown).data


def engagement_url(engagement: Engagement) -> str:
    return reverse("api:engagement-detail", args=[engagement.pk])


# --- the list and a new engagement --------------------------------------------------------------


class EngagementFilter(StrictFilterSet):
    organisation = django_filters.CharFilter(
        field_name="organisations__slug",
        distinct=True,
        help_text="Engagements covering this organisation (slug).",
    )
    period = IdFilter(field_name="periods", distinct=True, help_text="Engagements covering this period (id).")

    class Meta:
        model = Engagement
        fields = ["organisation", "period"]


class EngagementInput(StrictSerializer):
    title = serializers.CharField()
    firm = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="The audit firm, if any."
    )
    standard = serializers.CharField(
        help_text="The audit standard or terms, e.g. “ISAE 3000, limited assurance”."
    )
    scope_statement = serializers.CharField(help_text="What is in scope and what the auditor concludes on.")
    auditors = serializers.ListField(
        child=serializers.EmailField(),
        max_length=MAX_AUDITORS,
        help_text="The auditors' email addresses: people with the platform role “auditor”, none of whom may "
        "belong to an organisation in scope.",
    )
    organisations = serializers.ListField(
        child=serializers.SlugField(), max_length=MAX_ORGANISATIONS, help_text="The organisations' slugs."
    )
    periods = serializers.ListField(
        child=id_field(), max_length=MAX_PERIODS, help_text="Reporting period ids."
    )
    starts_at = serializers.DateTimeField(help_text="ISO 8601; without an offset, the program's time zone.")
    ends_at = serializers.DateTimeField(help_text="After starts_at.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # The choices the web form offers (audits/forms.py), each list looked up in one query.
        offered = EngagementForm().fields
        problems: dict[str, list[str]] = {}
        for name, key, unknown in (
            ("auditors", "email", "No active auditor has this email address"),
            ("organisations", "slug", "No such organisation"),
            ("periods", "pk", "No such reporting period"),
        ):
            data[name], missing = _chosen(offered[name].queryset, key, data[name])
            if missing:
                problems[name] = [f"{unknown}: {value}." for value in missing]
        if problems:
            raise serializers.ValidationError(problems)
        return data


def _chosen(queryset, key: str, values: list[Any]) -> tuple[list[Any], list[Any]]:
    """The objects named, in the order given and each once, and the values that name none."""
    wanted = list(dict.fromkeys(values))
    found = {getattr(obj, key): obj for obj in queryset.filter(**{f"{key}__in": wanted})}
    return [found[value] for value in wanted if value in found], [v for v in wanted if v not in found]


ENGAGEMENT_EXAMPLE = OpenApiExample(
    "A limited-assurance engagement",
    value={
        "title": "Limited assurance on the 2026 report",
        "firm": "Harbourside Assurance LLP",
        "standard": "ISAE 3000 (Revised), limited assurance",
        "scope_statement": "The organisation's reported implementation of every mitigation in the period.",
        "auditors": ["auditor@harbourside.example"],
        "organisations": ["northwind-models"],
        "periods": [3],
        "starts_at": "2026-09-01T09:00:00+00:00",
        "ends_at": "2026-12-01T17:00:00+00:00",
    },
    request_only=True,
)


class EngagementListCreateApi(generics.ListAPIView):
    """GET lists the engagements you may open; POST creates one (program admins). One path, two
    operations, each with its own bodies."""

    serializer_class = EngagementOutput
    queryset = Engagement.objects.none()  # for the schema; get_queryset asks the gate
    filterset_class = EngagementFilter
    ordering = ("-starts_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Engagement.objects.none()
        visible = engagement_list_for(user=self.request.user).engagements  # refused as the list page is
        return engagements_with_scope().filter(pk__in=[engagement.pk for engagement in visible])

    @extend_schema(
        tags=[TAG],
        summary="The engagements you may open",
        description=(
            "A program admin sees every engagement; an auditor, the engagements they are an auditor of "
            "that are open now. Refused (403) to everyone else, as the engagements page is."
        ),
        responses={200: EngagementOutput(many=True), **problems(*READ)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        attested = current_attestations([engagement.pk for engagement in page])
        return self.get_paginated_response(
            [engagement_data(e, request.user, _attestation_id(attested, e)) for e in page]
        )

    @extend_schema(
        tags=[TAG],
        summary="Create an engagement (program admins)",
        description=(
            "The same checks as the web form: the auditors have the platform role “auditor” and belong "
            "to no organisation in scope, the window ends after it starts. Each auditor then declares "
            "their independence (POST …/declaration/) before they see anything of it."
        ),
        request=EngagementInput,
        responses={201: EngagementOutput, **problems(*WRITE, 422)},
        parameters=[IDEMPOTENCY_KEY],
        examples=[ENGAGEMENT_EXAMPLE],
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        access.program_for(request.user, action=Action.MANAGE_ENGAGEMENTS)
        engagement = engagement_create(acting_user=request.user, **validated(EngagementInput, request))
        engagement = engagements_with_scope().get(pk=engagement.pk)
        return Response(
            engagement_data(engagement, request.user, None),
            status=status.HTTP_201_CREATED,
            headers={"Location": engagement_url(engagement)},
        )


def _attestation_id(attested: dict, engagement: Engagement) -> int | None:
    attestation = attested.get(engagement.pk)
    return attestation.pk if attestation is not None else None


# --- one engagement, and the declaration --------------------------------------------------------


@extend_schema(
    tags=[TAG],
    summary="One engagement",
    description="For the program's admins and the engagement's auditors while it is open. " + UNDECLARED,
    responses={200: EngagementOutput, **problems(*READ)},
)
class EngagementDetailApi(APIView):
    def get(self, request, pk: int):
        engagement = engagement_for(request, pk, Action.READ)
        engagement = engagements_with_scope().get(pk=engagement.pk)
        attested = current_attestations([engagement.pk])
        return Response(engagement_data(engagement, request.user, _attestation_id(attested, engagement)))


class DeclarationInput(StrictSerializer):
    declaration = serializers.CharField(
        help_text="That you hold no interest in, and have no relationship with, the organisations in scope "
        "that would impair your independence; name anything the program should know."
    )


@extend_schema(
    tags=[TAG],
    summary="Declare your independence (the engagement's auditors)",
    description=(
        "Once, before anything else of the engagement: recorded in the ledger with your name and the "
        "time. Refused (403) to an auditor who belongs to an organisation in scope; 409 if already declared."
    ),
    request=DeclarationInput,
    responses={201: SeatOutput, **problems(*WRITE, 422)},
    parameters=[IDEMPOTENCY_KEY],
    examples=[
        OpenApiExample(
            "A declaration",
            value={"declaration": "I hold no interest in, and have no relationship with, Northwind Models."},
            request_only=True,
        )
    ],
)
class EngagementDeclareApi(APIView):
    @idempotent
    def post(self, request, pk: int):
        engagement = engagement_for(request, pk, Action.DECLARE)
        seat = independence_declare(
            engagement=engagement,
            acting_user=request.user,
            declaration=validated(DeclarationInput, request)["declaration"],
        )
        seat = EngagementAuditor.objects.select_related("auditor").get(pk=seat.pk)
        return Response(
            SeatOutput(seat).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": engagement_url(engagement)},
        )


# --- the items in scope (the auditor's workspace) -------------------------------------------------


class FindingRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=FindingKind.choices)


class WorkspaceItemOutput(serializers.Serializer):
    item = ItemRefOutput()
    status = serializers.CharField(
        source="item.status", help_text="The organisation's implementation status."
    )
    verdict = serializers.SerializerMethodField(help_text="The reviewer's current verdict, if any.")
    finding = FindingRefOutput(
        allow_null=True, help_text="This engagement's finding on the item, if recorded."
    )

    def get_verdict(self, row) -> str | None:
        return row.verdict.verdict if row.verdict else None


class WorkspaceFilter(StrictFilterSet):
    """The workspace page's filters; here a value that is not one of the choices is a 400."""

    status = OneOfFilter(choices=ImplementationStatus.choices, help_text="Implementation status.")
    verdict = OneOfFilter(choices=Verdict.choices, help_text="The reviewer's current verdict.")
    finding = OneOfFilter(
        choices=[*FindingKind.choices, (NO_FINDING, "No finding yet")],
        help_text=f"This engagement's finding; `{NO_FINDING}` for items without one.",
    )

    class Meta:
        model = ItemResponse
        fields = ["status", "verdict", "finding"]

    def filter_queryset(self, queryset):
        return queryset  # the workspace applies them (EngagementItemListApi.filter_queryset)


@extend_schema(
    tags=[TAG],
    summary="The items in an engagement's scope (its auditors)",
    description=(
        "Every item of the reports of the engagement's organisations and periods, with the reviewer's "
        "verdict and this engagement's finding: the workspace page's list."
    ),
    responses={200: WorkspaceItemOutput(many=True), **problems(*READ)},
)
class EngagementItemListApi(generics.ListAPIView):
    serializer_class = WorkspaceItemOutput
    queryset = ItemResponse.objects.none()  # for the schema
    filterset_class = WorkspaceFilter
    ordering = ("id",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ItemResponse.objects.none()
        self.engagement = engagement_for(self.request, self.kwargs["pk"], Action.AUDIT)
        return ItemResponse.objects.all()

    def filter_queryset(self, queryset):
        # The filters are checked by the FilterSet, then kept by the workspace's own rule (Filters),
        # so that the list is the workspace page's, item for item.
        filterset = self.filterset_class(self.request.query_params, queryset=queryset, request=self.request)
        check_filters(self.request, filterset)
        filters = Filters(**{name: filterset.form.cleaned_data.get(name) or "" for name in filterset.filters})
        scope = workspace(engagement=self.engagement, user=self.request.user, filters=filters).scope
        self.rows = {row.item.pk: row for entry in scope for row in entry.rows}
        return queryset.filter(pk__in=list(self.rows))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(
            WorkspaceItemOutput([self.rows[i.pk] for i in page], many=True).data
        )


urlpatterns = [
    path("engagements/", EngagementListCreateApi.as_view(), name="engagement-list"),
    path("engagements/<id:pk>/", EngagementDetailApi.as_view(), name="engagement-detail"),
    path("engagements/<id:pk>/declaration/", EngagementDeclareApi.as_view(), name="engagement-declare"),
    path("engagements/<id:pk>/items/", EngagementItemListApi.as_view(), name="engagement-items"),
]
