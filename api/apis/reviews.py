"""Review: the reviewer's moves on a report (start the review, request changes, verify), item verdicts,
the company's responses beside them, and the comment threads on items.

Each endpoint loads its report or item through the access gate with the action the web's review
pages use (commitments/views/review.py: REVIEW to act as reviewer, COMMENT, RESPOND, and READ to
see what the review page shows) and acts only through the services those pages call
(commitments/services/reports, commitments/services/reviews.py): a report in the wrong state is a
409, a reviewer who belongs to the organisation is refused (403) in the gate's words, and every
move and verdict is ledgered by its service.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.loaders import item_by_id
from api.filters import StrictFilterBackend, StrictFilterSet, WholeNumberFilter
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, READ, WRITE, problems
from api.serializers import StrictSerializer, TextField
from commitments import access
from commitments.access import Action
from commitments.markdown import MAX_CHARS
from commitments.models import Comment, CompanyResponse, ItemResponse, ItemVerdict, ProgressReport
from commitments.selectors_review import reports_for_review
from commitments.services.reports import (
    item_verdict_record,
    report_changes_request,
    report_review_start,
    report_verify,
)
from commitments.services.reviews import comment_add, company_response_add
from commitments.vocabulary import Verdict

TAGS = ["review"]
TEXT_HELP = f"Plain text, at most {MAX_CHARS:,} characters."
# More than any framework has items; a longer list is a mistake, not a request.
MAX_ITEMS = 1000


def _text(**kwargs: Any) -> TextField:
    """Text as sent (blank, or with spaces around it): the service judges it as it judges the web's."""
    return TextField(allow_blank=True, trim_whitespace=False, **kwargs)


def _report(request, pk: int, action: Action) -> ProgressReport:
    return access.report_for(request.user, pk, action=action, queryset=reports_for_review())


def _item(request, pk: int, action: Action) -> ItemResponse:
    return item_by_id(request.user, pk, action=action, reports=reports_for_review())


# --- the report's moves ----------------------------------------------------------------------------


class ReportStateOutput(serializers.ModelSerializer):
    reviewer = serializers.StringRelatedField(help_text="Who is reviewing it (name, else email), or null.")

    class Meta:
        model = ProgressReport
        fields = ["id", "status", "revision", "reviewer", "submitted_at", "verified_at"]


class NoBody(StrictSerializer):
    """These moves take no input: an empty body (or `{}`), nothing else."""


def _moved(report: ProgressReport) -> Response:
    fresh = reports_for_review().get(pk=report.pk)
    return Response(ReportStateOutput(fresh).data)


EXAMPLE_IN_REVIEW = OpenApiExample(
    "In review",
    value={
        "id": 311,
        "status": "in_review",
        "revision": 1,
        "reviewer": "Rui Reviewer",
        "submitted_at": "2026-04-01T10:00:00Z",
        "verified_at": None,
    },
    response_only=True,
)


class ReportReviewStartApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="report_review_start",
        summary="Start reviewing a submitted report",
        description=(
            "Submitted → in review, with you as its reviewer. Program reviewers and admins who do not "
            "belong to the organisation may; 409 unless the report is submitted."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={200: ReportStateOutput, **problems(*WRITE, 422)},
        examples=[EXAMPLE_IN_REVIEW],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        report = _report(request, pk, Action.REVIEW)
        NoBody(data=request.data).is_valid(raise_exception=True)
        return _moved(report_review_start(report=report, acting_user=request.user))


class ReportVerifyApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="report_verify",
        summary="Verify a report in review",
        description=(
            "In review → verified; the officers may then add their responses. Every item needs a verdict "
            "on this submission first: otherwise a 400 whose `errors` name each item (by node id) "
            "without one. 409 unless the report is in review."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={200: ReportStateOutput, **problems(*WRITE, 422)},
        examples=[
            OpenApiExample(
                "Verified",
                value={
                    **EXAMPLE_IN_REVIEW.value,
                    "status": "verified",
                    "verified_at": "2026-04-09T15:30:00Z",
                },
                response_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        report = _report(request, pk, Action.REVIEW)
        NoBody(data=request.data).is_valid(raise_exception=True)
        return _moved(report_verify(report=report, acting_user=request.user))


class ChangesRequestInput(StrictSerializer):
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=MAX_ITEMS,
        help_text="The ids of the report's items that need changes (at least one).",
    )
    message = _text(required=False, default="", help_text="What to change, for the officers. " + TEXT_HELP)


class ReportChangesRequestApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="report_changes_request",
        summary="Send a report in review back for changes",
        description=(
            "In review → changes requested, naming the items to change; the officers are emailed and "
            "may edit and resubmit. An id that is not an item of this report is a 400 pointing at it. "
            "409 unless the report is in review."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=ChangesRequestInput,
        responses={200: ReportStateOutput, **problems(*WRITE, 422)},
        examples=[
            OpenApiExample(
                "Two items",
                value={"items": [4021, 4023], "message": "Attach the policy itself, not a summary."},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        report = _report(request, pk, Action.REVIEW)
        body = ChangesRequestInput(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["items"]
        items = {
            item.pk: item
            for item in ItemResponse.objects.filter(report=report, pk__in=wanted).select_related("node")
        }
        strangers = {
            index: ["Not an item of this report."] for index, pk in enumerate(wanted) if pk not in items
        }
        if strangers:
            raise serializers.ValidationError({"items": strangers})
        moved = report_changes_request(
            report=report,
            acting_user=request.user,
            items=list(items.values()),
            message=body.validated_data["message"],
        )
        return _moved(moved)


# --- verdicts ---------------------------------------------------------------------------------------


class VerdictOutput(serializers.ModelSerializer):
    reviewer = serializers.StringRelatedField()
    is_current = serializers.SerializerMethodField(
        help_text="Whether this is the verdict that counts: the latest on the report's current submission."
    )

    class Meta:
        model = ItemVerdict
        fields = [
            "id",
            "item",
            "report_revision",
            "verdict",
            "justification",
            "reviewer",
            "created_at",
            "is_current",
        ]

    def get_is_current(self, verdict: ItemVerdict) -> bool:
        return verdict.pk == self.context.get("current_verdict_id")


class VerdictInput(StrictSerializer):
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    justification = _text(help_text="What you checked, and what it showed. " + TEXT_HELP)


class VerdictFilter(StrictFilterSet):
    report_revision = WholeNumberFilter(help_text="One submission's verdicts (the report's revision).")

    class Meta:
        model = ItemVerdict
        fields = ["verdict", "report_revision"]


def _current_verdict_id(item: ItemResponse) -> int | None:
    verdict = item.current_verdict
    return verdict.pk if verdict is not None else None


class VerdictListApi(generics.ListAPIView):
    """Every verdict on the item, each submission's included, oldest first (as the review page shows)."""

    serializer_class = VerdictOutput
    queryset = ItemVerdict.objects.none()  # for the schema; the item's own below
    ordering = ("created_at", "id")
    filter_backends = [StrictFilterBackend]
    filterset_class = VerdictFilter

    def get_queryset(self):
        self.item = _item(self.request, self.kwargs["pk"], Action.READ)
        return ItemVerdict.objects.filter(item=self.item).select_related("reviewer")

    def get_serializer_context(self) -> dict[str, Any]:
        item = getattr(self, "item", None)
        return {**super().get_serializer_context(), "current_verdict_id": item and _current_verdict_id(item)}

    @extend_schema(
        tags=TAGS,
        operation_id="item_verdict_list",
        summary="List an item's verdicts",
        responses={200: VerdictOutput(many=True), **problems(*READ)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class VerdictRecordApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="item_verdict_record",
        summary="Record your verdict on an item",
        description=(
            "While the report is in review (409 otherwise). A later verdict on the same submission "
            "replaces it as the one that counts; earlier ones stay, for the record."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=VerdictInput,
        responses={201: VerdictOutput, **problems(*WRITE, 422)},
        examples=[
            OpenApiExample(
                "Verified",
                value={"verdict": "verified", "justification": "Policy document seen, dated 1 March 2026."},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        item = _item(request, pk, Action.REVIEW)
        body = VerdictInput(data=request.data)
        body.is_valid(raise_exception=True)
        verdict = item_verdict_record(item=item, acting_user=request.user, **body.validated_data)
        data = VerdictOutput(
            ItemVerdict.objects.select_related("reviewer").get(pk=verdict.pk),
            context={"current_verdict_id": verdict.pk},
        ).data
        return Response(data, status=status.HTTP_201_CREATED)


class ItemVerdictsApi(VerdictListApi, VerdictRecordApi):
    """/items/{id}/verdicts/: GET lists (VerdictListApi), POST records (VerdictRecordApi)."""


# --- the company's responses and the comments ------------------------------------------------------


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    author = serializers.StringRelatedField(help_text="Their name, else their email.")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class CompanyResponseOutput(NoteOutput):
    pass


class CommentOutput(NoteOutput):
    pass


class NoteInput(StrictSerializer):
    body = _text(help_text=TEXT_HELP)


class _NoteList(generics.ListAPIView):
    """An item's notes of one kind, oldest first, for those who may see the report."""

    ordering = ("created_at", "id")
    filter_backends = [StrictFilterBackend]
    filterset_fields = {"created_at": ["gte", "lt"]}
    model: type

    def get_queryset(self):
        item = _item(self.request, self.kwargs["pk"], Action.READ)
        return self.model.objects.filter(item=item).select_related("author")


class CompanyResponseListApi(_NoteList):
    serializer_class = CompanyResponseOutput
    queryset = CompanyResponse.objects.none()  # for the schema; the item's own
    model = CompanyResponse

    @extend_schema(
        tags=TAGS,
        operation_id="item_company_response_list",
        summary="List the company's responses on an item",
        responses={200: CompanyResponseOutput(many=True), **problems(*READ)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CompanyResponseAddApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="item_company_response_add",
        summary="Add the company's response beside the verdict",
        description=(
            "The organisation's right of reply, published beside the reviewer's verdict. Its officers "
            "may add one once the report is verified and before it is published (409 otherwise)."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=NoteInput,
        responses={201: CompanyResponseOutput, **problems(*WRITE, 422)},
        examples=[
            OpenApiExample(
                "A reply",
                value={"body": "The rollout to the last region finished on 12 May 2026."},
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        item = _item(request, pk, Action.RESPOND)
        body = NoteInput(data=request.data)
        body.is_valid(raise_exception=True)
        added = company_response_add(item=item, acting_user=request.user, body=body.validated_data["body"])
        added = CompanyResponse.objects.select_related("author").get(pk=added.pk)
        return Response(CompanyResponseOutput(added).data, status=status.HTTP_201_CREATED)


class ItemCompanyResponsesApi(CompanyResponseListApi, CompanyResponseAddApi):
    """/items/{id}/company-responses/: GET lists, POST adds."""


class CommentListApi(_NoteList):
    serializer_class = CommentOutput
    queryset = Comment.objects.none()  # for the schema; the item's own
    model = Comment

    @extend_schema(
        tags=TAGS,
        operation_id="item_comment_list",
        summary="List the comments on an item",
        description="The review conversation: internal, never published.",
        responses={200: CommentOutput(many=True), **problems(*READ)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CommentAddApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="item_comment_add",
        summary="Comment on an item",
        description=(
            "The report's reviewers and the organisation's officers and contributors discuss an item; "
            "comments are internal (never published). Closed once the report is published (409)."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=NoteInput,
        responses={201: CommentOutput, **problems(*WRITE, 422)},
        examples=[
            OpenApiExample(
                "A question", value={"body": "Which regions does the rollout cover?"}, request_only=True
            )
        ],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        item = _item(request, pk, Action.COMMENT)
        body = NoteInput(data=request.data)
        body.is_valid(raise_exception=True)
        added = comment_add(item=item, acting_user=request.user, body=body.validated_data["body"])
        added = Comment.objects.select_related("author").get(pk=added.pk)
        return Response(CommentOutput(added).data, status=status.HTTP_201_CREATED)


class ItemCommentsApi(CommentListApi, CommentAddApi):
    """/items/{id}/comments/: GET lists, POST adds."""


urlpatterns = [
    path("reports/<id:pk>/start-review/", ReportReviewStartApi.as_view(), name="report-review-start"),
    path(
        "reports/<id:pk>/request-changes/", ReportChangesRequestApi.as_view(), name="report-changes-request"
    ),
    path("reports/<id:pk>/verify/", ReportVerifyApi.as_view(), name="report-verify"),
    path("items/<id:pk>/verdicts/", ItemVerdictsApi.as_view(), name="item-verdicts"),
    path(
        "items/<id:pk>/company-responses/", ItemCompanyResponsesApi.as_view(), name="item-company-responses"
    ),
    path("items/<id:pk>/comments/", ItemCommentsApi.as_view(), name="item-comments"),
]
