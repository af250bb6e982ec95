"""Following up an attested nonconformity's corrective action in the organisation's next report
(issue 14, item 4) through the API: the corrective actions a report follows up, and writing the
follow-up of one. As the report editor's follow-up panel (commitments/views/workspace.py): the
report is reached through the gate (READ to list, EDIT to write), a finding the report does not
follow up is not found here, and the write is audits.services.follow_up.finding_follow_up."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.audits.shared import TAG, check_precondition, validated
from api.apis.audits.work import FindingOutput, finding_data, findings
from api.concurrency import etag_of
from api.schema import IF_MATCH, READ, WRITE, problems
from api.serializers import StrictSerializer
from audits.selectors_follow_up import report_follow_ups
from audits.services.follow_up import finding_follow_up
from commitments import access
from commitments.access import Action
from commitments.markdown import MAX_CHARS
from commitments.services.reports import report_lock


@extend_schema(
    tags=[TAG],
    summary="The corrective actions a report follows up",
    description=(
        "The nonconformities of attested audits of the organisation's earlier report whose corrective "
        "action this report follows up: those followed up in it, and those waiting for their follow-up "
        "here. Oldest audit first; not paginated (a report follows up a handful at most)."
    ),
    responses={200: FindingOutput(many=True), **problems(*READ)},
)
class FollowUpListApi(APIView):
    def get(self, request, pk: int):
        report = access.report_for(request.user, pk, action=Action.READ)
        ids = [finding.pk for finding in report_follow_ups(report)]
        rows = {finding.pk: finding for finding in findings().filter(pk__in=ids)}
        return Response(FindingOutput([rows[pk] for pk in ids], many=True).data)


class FollowUpInput(StrictSerializer):
    text = serializers.CharField(
        help_text=f"What the organisation did about the corrective action. Plain text, at most {MAX_CHARS:,} "
        "characters."
    )


@extend_schema(
    tags=[TAG],
    summary="Write the follow-up of a corrective action in this report",
    description=(
        "By whoever may edit the report, while it is a draft or sent back with changes requested (409 "
        "otherwise); it can be rewritten until the report is submitted, and is published with it, beside "
        "the auditor's finding. Every save is in the report's ledger. A finding this report does not "
        "follow up is not found (404). With `If-Match` (the finding's `ETag`), refused (412) if it "
        "changed since you read it."
    ),
    request=FollowUpInput,
    responses={200: FindingOutput, **problems(*WRITE, 412)},
    parameters=[IF_MATCH],
    examples=[
        OpenApiExample(
            "A follow-up",
            value={"text": "The escalation queue has been staffed at weekends since 1 November."},
            request_only=True,
        )
    ],
)
class FollowUpWriteApi(APIView):
    def put(self, request, pk: int, finding_id: int):
        report = access.report_for(request.user, pk, action=Action.EDIT)
        finding = next((f for f in report_follow_ups(report) if f.pk == finding_id), None)
        if finding is None:
            raise Http404(access.NOT_FOUND)
        data = validated(FollowUpInput, request)
        with transaction.atomic():
            report_lock(report.pk)  # as the service does first: the If-Match compares what it will change
            check_precondition(request, finding_data(finding.pk), "finding")
            finding_follow_up(finding=finding, report=report, text=data["text"], acting_user=request.user)
        answer = finding_data(finding.pk)
        return Response(answer, headers={"ETag": etag_of(answer)})


urlpatterns = [
    path("reports/<id:pk>/follow-ups/", FollowUpListApi.as_view(), name="follow-up-list"),
    path("reports/<id:pk>/follow-ups/<id:finding_id>/", FollowUpWriteApi.as_view(), name="follow-up-write"),
]
