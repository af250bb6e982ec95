"""Organisations and their commitments, as their members see them (the workspace's dashboard).

The gate's rule for reading an organisation is membership (viewer, contributor, officer): the list
is the organisations the gate lets the caller read (`organisations_where`), and one organisation
is loaded with `organisation_for(..., READ)`. Program admins may open reports for any organisation
but are no member of it, so an organisation's page answers them 403, as the gate does; reviewers
and auditors reach organisations only through reports and engagements (404 here).
"""

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import StrictFilterBackend
from api.schema import READ, problems
from commitments import access
from commitments.access import Action
from commitments.models import Commitment, Organisation


class OrganisationOutput(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(
        help_text="The caller's membership: officer, contributor or viewer (null for none)."
    )

    class Meta:
        model = Organisation
        fields = ["id", "slug", "name", "website", "description", "role"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_role(self, organisation: Organisation) -> str | None:
        # The gate read the caller's memberships once (one query for the whole list).
        return access.membership_role(self.context["request"].user, organisation)


class CommitmentOutput(serializers.ModelSerializer):
    framework = serializers.SerializerMethodField(help_text="The framework signed: id, key and version.")

    class Meta:
        model = Commitment
        fields = ["id", "framework", "signed_on", "signatory", "statement_url", "cadence"]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "key": {"type": "string"},
                "version": {"type": "string"},
            },
            "required": ["id", "key", "version"],
        }
    )
    def get_framework(self, commitment: Commitment) -> dict:
        framework = commitment.framework
        return {"id": framework.pk, "key": framework.key, "version": framework.version}


ORGANISATION_EXAMPLE = OpenApiExample(
    "An organisation",
    value={
        "id": 3,
        "slug": "northwind",
        "name": "Northwind Generative",
        "website": "https://northwind.example",
        "description": "A fictional generative-AI company.",
        "role": "officer",
    },
    response_only=True,
)


@extend_schema(
    tags=["organisations"],
    responses={200: OrganisationOutput(many=True), **problems(*READ)},
)
class OrganisationListApi(generics.ListAPIView):
    """The organisations you belong to, with your role in each."""

    serializer_class = OrganisationOutput
    filter_backends = [StrictFilterBackend]
    ordering = ("name", "id")
    filterset_fields = ["slug"]

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Organisation.objects.none()
        return Organisation.objects.filter(access.organisations_where(self.request.user, Action.READ))


@extend_schema(
    tags=["organisations"],
    responses={200: OrganisationOutput, **problems(*READ)},
    examples=[ORGANISATION_EXAMPLE],
)
class OrganisationDetailApi(APIView):
    """One organisation you belong to, by its slug."""

    def get(self, request: Request, slug: str) -> Response:
        organisation = access.organisation_for(request.user, slug, action=Action.READ)
        return Response(OrganisationOutput(organisation, context={"request": request}).data)


@extend_schema(tags=["organisations"], responses={200: CommitmentOutput(many=True), **problems(*READ)})
class OrganisationCommitmentListApi(generics.ListAPIView):
    """The frameworks the organisation signed: when, by whom, and how often it reports."""

    serializer_class = CommitmentOutput
    filter_backends = [StrictFilterBackend]
    queryset = Commitment.objects.none()  # for the schema; the organisation's own below
    ordering = ("signed_on", "id")
    filterset_fields = ["cadence"]

    def get_queryset(self) -> QuerySet[Commitment]:
        organisation = access.organisation_for(self.request.user, self.kwargs["slug"], action=Action.READ)
        return Commitment.objects.filter(organisation=organisation).select_related("framework")


urlpatterns = [
    path("organisations/", OrganisationListApi.as_view(), name="organisation-list"),
    path("organisations/<slug:slug>/", OrganisationDetailApi.as_view(), name="organisation-detail"),
    path(
        "organisations/<slug:slug>/commitments/",
        OrganisationCommitmentListApi.as_view(),
        name="organisation-commitments",
    ),
]
