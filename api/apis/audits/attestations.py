"""Attestations: public to read, as their pages are (audits/views/public.py: every signed attestation,
current or corrected, names who audited and what they concluded; the findings shown are those on
published reports); signed by an auditor of the engagement once the audit is complete, as the
attestation page refuses it before (audits/services/work.py `attestation_missing`); corrected by a
new attestation naming the one it replaces, which stays readable.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.audits.engagements import OrganisationRefOutput, PeriodRefOutput
from api.apis.audits.shared import TAG, engagement_for, validated
from api.filters import IdFilter, StrictFilterSet, TrueOrFalseFilter
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, PUBLIC, WRITE, problems
from api.serializers import StrictSerializer
from audits.models import Attestation
from audits.selectors import attestation_url, auditor_names, public_attestation
from audits.services.work import attestation_correct, attestation_sign
from commitments import access
from commitments.access import Action
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import FindingKind, Opinion

# --- what the public reads -----------------------------------------------------------------------


class EngagementSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    firm = serializers.CharField()
    standard = serializers.CharField()
    scope_statement = serializers.CharField()


class AttestationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    engagement = EngagementSummaryOutput()
    organisations = OrganisationRefOutput(many=True)
    periods = PeriodRefOutput(many=True)
    auditors = serializers.ListField(
        child=serializers.CharField(), help_text="Who audited, by name, in the order they were engaged."
    )
    opinion = serializers.ChoiceField(choices=Opinion.choices)
    statement = serializers.CharField()
    attested_on = serializers.DateField()
    current = serializers.BooleanField(help_text="False once a correction replaces it.")
    corrects = serializers.IntegerField(allow_null=True, help_text="The attestation this one corrects.")
    correction_reason = serializers.CharField(help_text="Why, for a correction; empty otherwise.")
    corrected_by = serializers.IntegerField(
        allow_null=True, help_text="The correction that replaces this one."
    )
    page = serializers.CharField(help_text="Its public page.")


class PublicFindingOutput(serializers.Serializer):
    organisation = serializers.CharField(source="finding.item.report.organisation.slug")
    period = serializers.CharField(source="finding.item.report.period.label")
    node_id = serializers.CharField(source="finding.item.node.node_id")
    code = serializers.CharField(source="finding.item.node.code")
    title = serializers.CharField(source="finding.item.node.title")
    kind = serializers.ChoiceField(source="finding.kind", choices=FindingKind.choices)
    description = serializers.CharField(source="finding.description")
    company_response = serializers.CharField(source="finding.company_response")
    page = serializers.CharField(source="url", help_text="The item's public page.")


class AttestationDetailOutput(AttestationOutput):
    findings = PublicFindingOutput(
        many=True,
        help_text="Its findings on items of published reports in scope, as its public page lists them.",
    )


def attestation_data(attestation: Attestation, auditors: tuple[str, ...]) -> dict[str, Any]:
    engagement = attestation.engagement
    corrected_by = getattr(attestation, "corrected_by", None)
    shown = {
        "id": attestation.pk,
        "engagement": engagement,
        "organisations": engagement.organisations.all(),
        "periods": engagement.periods.all(),
        "auditors": list(auditors),
        "opinion": attestation.opinion,
        "statement": attestation.statement,
        "attested_on": attestation.attested_on,
        "current": corrected_by is None,
        "corrects": attestation.corrects_id,
        "correction_reason": attestation.correction_reason,
        "corrected_by": corrected_by.pk if corrected_by is not None else None,
        "page": attestation_url(attestation.pk),
    }
    return AttestationOutput(shown).data


def attestations():
    return Attestation.objects.select_related("engagement", "corrected_by").prefetch_related(
        "engagement__organisations", "engagement__periods__framework"
    )


def attestation_location(attestation: Attestation) -> str:
    return reverse("api:attestation-detail", args=[attestation.pk])


def one_attestation(pk: int) -> dict[str, Any]:
    attestation = attestations().get(pk=pk)
    return attestation_data(
        attestation, auditor_names([attestation.engagement_id]).get(attestation.engagement_id, ())
    )


class AttestationFilter(StrictFilterSet):
    engagement = IdFilter(field_name="engagement_id")
    organisation = django_filters.CharFilter(
        field_name="engagement__organisations__slug",
        distinct=True,
        help_text="An organisation in scope (slug).",
    )
    period = IdFilter(
        field_name="engagement__periods", distinct=True, help_text="A reporting period in scope (id)."
    )
    current = TrueOrFalseFilter(
        field_name="corrected_by", lookup_expr="isnull", help_text="true: only those no correction replaces."
    )

    class Meta:
        model = Attestation
        fields = ["engagement", "organisation", "period", "current"]


@extend_schema(
    tags=[TAG],
    summary="Signed attestations (public)",
    description=(
        "Every signed attestation, corrected ones included (`current`: false), newest first. No token needed."
    ),
    responses={200: AttestationOutput(many=True), **problems(*PUBLIC)},
)
class AttestationListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = AttestationOutput
    queryset = Attestation.objects.none()  # for the schema
    filterset_class = AttestationFilter
    ordering = ("-signed_at", "-id")

    def get_queryset(self):
        return attestations()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        names = auditor_names({attestation.engagement_id for attestation in page})
        return self.get_paginated_response(
            [attestation_data(attestation, names.get(attestation.engagement_id, ())) for attestation in page]
        )


@extend_schema(
    tags=[TAG],
    summary="One attestation, with its public findings (public)",
    description="What its public page shows. No token needed.",
    responses={200: AttestationDetailOutput, **problems(404, *PUBLIC)},
)
class AttestationDetailApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request, pk: int):
        page = public_attestation(pk)
        if page is None:
            raise Http404(access.NOT_FOUND)
        attestation = attestations().get(pk=pk)
        return Response(
            {
                **attestation_data(attestation, page.auditors),
                "findings": PublicFindingOutput(page.findings, many=True).data,
            }
        )


# --- signing and correcting ------------------------------------------------------------------------

TEXT = f"Plain text, at most {MAX_CHARS:,} characters."


class AttestationInput(StrictSerializer):
    opinion = serializers.ChoiceField(choices=Opinion.choices)
    statement = serializers.CharField(help_text="The auditor's statement. " + TEXT)
    attested_on = serializers.DateField(help_text="The date of the attestation: today or earlier.")


class CorrectionInput(AttestationInput):
    reason = serializers.CharField(
        help_text="Why it is corrected: shown with the correction; the attestation it replaces stays "
        "readable. " + TEXT
    )


ATTESTATION_EXAMPLE = {
    "opinion": "qualified",
    "statement": "Except for the escalation times noted in our findings, nothing came to our attention …",
    "attested_on": "2026-11-20",
}


@extend_schema(
    tags=[TAG],
    summary="Sign the engagement's attestation (its auditors)",
    description=(
        "Refused (409, saying what is missing) until every item in scope has a finding and, with two or "
        "more auditors, every workpaper is signed off; and once signed (correct it instead). After it "
        "the engagement's workpapers and findings no longer change, and the attestation is public."
    ),
    request=AttestationInput,
    responses={201: AttestationOutput, **problems(*WRITE, 422)},
    parameters=[IDEMPOTENCY_KEY],
    examples=[OpenApiExample("A qualified opinion", value=ATTESTATION_EXAMPLE, request_only=True)],
)
class AttestationSignApi(APIView):
    @idempotent
    def post(self, request, pk: int):
        engagement = engagement_for(request, pk, Action.AUDIT)
        attestation = attestation_sign(
            engagement=engagement, acting_user=request.user, **validated(AttestationInput, request)
        )
        return Response(
            one_attestation(attestation.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": attestation_location(attestation)},
        )


@extend_schema(
    tags=[TAG],
    summary="Correct an attestation (the engagement's auditors)",
    description=(
        "Signs a new attestation that names this one, with a reason; this one stays readable, marked as "
        "replaced. Only the current attestation can be corrected (409 otherwise: correct the latest)."
    ),
    request=CorrectionInput,
    responses={201: AttestationOutput, **problems(*WRITE, 422)},
    parameters=[IDEMPOTENCY_KEY],
    examples=[
        OpenApiExample(
            "A correction",
            value={**ATTESTATION_EXAMPLE, "reason": "The statement named the wrong reporting period."},
            request_only=True,
        )
    ],
)
class AttestationCorrectApi(APIView):
    @idempotent
    def post(self, request, pk: int):
        attestation = Attestation.objects.filter(pk=pk).first()
        if attestation is None:
            raise Http404(access.NOT_FOUND)
        engagement_for(request, attestation.engagement_id, Action.AUDIT)
        correction = attestation_correct(
            attestation=attestation, acting_user=request.user, **validated(CorrectionInput, request)
        )
        return Response(
            one_attestation(correction.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": attestation_location(correction)},
        )


urlpatterns = [
    path("attestations/", AttestationListApi.as_view(), name="attestation-list"),
    path("attestations/<id:pk>/", AttestationDetailApi.as_view(), name="attestation-detail"),
    path("engagements/<id:pk>/attestations/", AttestationSignApi.as_view(), name="attestation-sign"),
    path("attestations/<id:pk>/correction/", AttestationCorrectApi.as_view(), name="attestation-correct"),
]
