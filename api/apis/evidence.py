"""Evidence: an item's files and links (list, add, revise, read) and the permission-checked download.

Each endpoint loads its object through the access gate with the action the web's view uses for the
same thing (commitments/views/workspace.py: EDIT to add, READ to see and download), and changes
evidence only through commitments/services/evidence.py, so an upload is judged exactly as the web
judges it: by its whole content (documents only; images, archives, programs and PDFs carrying
pictures or scripts refused), within EVIDENCE_MAX_UPLOAD_BYTES, and a restricted file opened for
someone is ledgered first. Evidence is never changed in place: a revision is a new row that
supersedes the old one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.loaders import item_by_id
from api.concurrency import check_if_match, etag_of
from api.downloads import FileDownloadApi
from api.filters import StrictFilterBackend, StrictFilterSet, TrueOrFalseFilter, query_params
from api.idempotency import idempotent
from api.parsers import LimitedJSONParser, UploadParser
from api.schema import IDEMPOTENCY_KEY, IF_MATCH, READ, WRITE, problems
from api.serializers import StrictSerializer, TextField
from commitments import access
from commitments.access import Action
from commitments.evidence_downloads import evidence_file_response
from commitments.models import Evidence
from commitments.services.evidence import evidence_add, evidence_open, evidence_revise
from commitments.services.reports import report_lock
from commitments.sniffing import EXTENSIONS

log = logging.getLogger("pledgeproof.api")
TAGS = ["evidence"]


# --- what a client reads ------------------------------------------------------------------------


class EvidenceOutput(serializers.ModelSerializer):
    superseded_by = serializers.SerializerMethodField(
        help_text="The revision that replaced this one, or null while it is the current one."
    )
    is_current = serializers.BooleanField(
        read_only=True, help_text="Whether this is what the item states now (no later revision)."
    )
    created_by = serializers.StringRelatedField(help_text="Who added it (their name, else their email).")
    download = serializers.SerializerMethodField(
        help_text="Where to download the file (null for a link): GET it with your token."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "item",
            "kind",
            "title",
            "effective_date",
            "visibility",
            "url",
            "original_name",
            "sha256",
            "size_bytes",
            "media_type",
            "revision",
            "supersedes",
            "superseded_by",
            "is_current",
            "created_by",
            "created_at",
            "download",
        ]
        extra_kwargs = {
            "original_name": {"help_text": "The uploader's file name: a label only, never a path."},
            "sha256": {"help_text": "SHA-256 of the file's bytes, computed as it streamed in."},
            "media_type": {"help_text": "The type its content was found to be (not the one it was sent as)."},
        }

    def get_superseded_by(self, evidence: Evidence) -> int | None:
        later = getattr(evidence, "superseded_by", None)  # a reverse one-to-one: absent while current
        return later.pk if later is not None else None

    def get_download(self, evidence: Evidence) -> str | None:
        if evidence.kind != Evidence.Kind.FILE:
            return None
        return reverse("api:evidence-download", args=[evidence.pk])


def _evidence_rows():
    return Evidence.objects.select_related("superseded_by", "created_by")


def _represent(evidence: Evidence) -> dict[str, Any]:
    return EvidenceOutput(evidence).data


def _answer(evidence: Evidence, *, created: bool = False) -> Response:
    data = _represent(evidence)
    headers = {"ETag": etag_of(data)}
    if created:
        headers["Location"] = reverse("api:evidence-detail", args=[evidence.pk])
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK, headers=headers)


# --- what a client sends ------------------------------------------------------------------------
def _text(**kwargs: Any) -> TextField:
    """Text as sent (blank, or with spaces around it): the service judges it as it judges the web's."""
    return TextField(allow_blank=True, trim_whitespace=False, **kwargs)


class FormInput(StrictSerializer):
    """A body that may come as multipart: there a field sent twice is refused, not half-read."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            repeated = sorted(key for key in data if len(data.getlist(key)) > 1)
            if repeated:
                raise serializers.ValidationError(
                    {key: ["Give this field once (one file, or one value, per request)."] for key in repeated}
                )
        return super().to_internal_value(data)


FILE_HELP = (
    "The document (multipart/form-data only): PDF, plain text, Markdown, CSV or JSON, judged by its "
    "whole content, not its name or declared type. Images (also inside PDFs), archives, office files, "
    "markup and programs are refused with a message saying why; so is a file over the upload limit."
)
URL_HELP = "An http(s) address, instead of a file."
VISIBILITY_HELP = (
    "Restricted evidence is seen only by the organisation, the program's reviewers and admins, and "
    "auditors engaged on it; the public sees its hash."
)
TITLE_HELP = f"What the document is; at most {Evidence._meta.get_field('title').max_length} characters."


class EvidenceAddInput(FormInput):
    """A file (multipart), or a link (`url`), with what the web's evidence form asks."""

    file = serializers.FileField(required=False, allow_empty_file=True, use_url=False, help_text=FILE_HELP)
    url = _text(required=False, help_text=URL_HELP)
    title = _text(help_text=TITLE_HELP)
    effective_date = serializers.DateField(help_text="When the document took effect (not when uploaded).")
    visibility = serializers.ChoiceField(choices=Evidence.Visibility.choices, help_text=VISIBILITY_HELP)


class EvidenceLinkInput(StrictSerializer):
    """The JSON body (links only: files come as multipart), for the schema."""

    url = _text(help_text=URL_HELP)
    title = _text(help_text=TITLE_HELP)
    effective_date = serializers.DateField(help_text="When the document took effect (not when uploaded).")
    visibility = serializers.ChoiceField(choices=Evidence.Visibility.choices, help_text=VISIBILITY_HELP)


class EvidenceReviseInput(FormInput):
    """What changes: a new file (multipart) or link, title, effective date or visibility."""

    file = serializers.FileField(required=False, allow_empty_file=True, use_url=False, help_text=FILE_HELP)
    url = _text(required=False, help_text=URL_HELP + " Replaces the file or link.")
    title = _text(required=False, help_text=TITLE_HELP)
    effective_date = serializers.DateField(required=False)
    visibility = serializers.ChoiceField(choices=Evidence.Visibility.choices, required=False)


class EvidenceReviseLinkInput(StrictSerializer):
    """The JSON body of a revision (no file), for the schema."""

    url = _text(required=False, help_text=URL_HELP + " Replaces the file or link.")
    title = _text(required=False, help_text=TITLE_HELP)
    effective_date = serializers.DateField(required=False)
    visibility = serializers.ChoiceField(choices=Evidence.Visibility.choices, required=False)


class EvidenceFilter(StrictFilterSet):
    current = TrueOrFalseFilter(
        method="filter_current",
        help_text="true: only what the item states now; false: only superseded revisions; absent: both.",
    )

    class Meta:
        model = Evidence
        fields = ["kind", "visibility"]

    def filter_current(self, queryset, name, value):
        current = queryset.current()
        return current if value else queryset.exclude(pk__in=current.values("pk"))


EXAMPLE_LINK = OpenApiExample(
    "A link",
    value={
        "url": "https://example.test/policies/hash-matching",
        "title": "Hash-matching policy",
        "effective_date": "2026-03-01",
        "visibility": "public",
    },
    request_only=True,
)
EXAMPLE_FILE = OpenApiExample(
    "A file (multipart)",
    value={
        "file": "(the bytes of policy.pdf)",
        "title": "Hash-matching policy",
        "effective_date": "2026-03-01",
        "visibility": "restricted",
    },
    request_only=True,
    media_type="multipart/form-data",
)
EXAMPLE_EVIDENCE = OpenApiExample(
    "A restricted file",
    value={
        "id": 812,
        "item": 4021,
        "kind": "file",
        "title": "Hash-matching policy",
        "effective_date": "2026-03-01",
        "visibility": "restricted",
        "url": "",
        "original_name": "policy.pdf",
        "sha256": "9f2c6d0e5b8a4c1f3e7d2a6b9c0e4f8a1b5d7c3e9f2a6b0d4c8e1f5a9b3d7c2e",
        "size_bytes": 48213,
        "media_type": "application/pdf",
        "revision": 1,
        "supersedes": None,
        "superseded_by": None,
        "is_current": True,
        "created_by": "Ada Example",
        "created_at": "2026-03-02T09:14:00Z",
        "download": "/api/v1/evidence/812/download/",
    },
    response_only=True,
)


# --- the endpoints --------------------------------------------------------------------------------


class EvidenceListApi(generics.ListAPIView):
    """An item's evidence, oldest first, every revision unless `current` says otherwise."""

    serializer_class = EvidenceOutput
    queryset = Evidence.objects.none()  # for the schema; the item's own below
    ordering = ("created_at", "id")
    filter_backends = [StrictFilterBackend]
    filterset_class = EvidenceFilter

    def get_queryset(self):
        item = item_by_id(self.request.user, self.kwargs["pk"], action=Action.READ)
        return _evidence_rows().filter(item=item)

    @extend_schema(
        tags=TAGS,
        operation_id="item_evidence_list",
        summary="List an item's evidence",
        responses={200: EvidenceOutput(many=True), **problems(*READ)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EvidenceAddApi(APIView):
    parser_classes = [LimitedJSONParser, UploadParser]

    @extend_schema(
        tags=TAGS,
        operation_id="item_evidence_add",
        summary="Add evidence to an item (a file, or a link)",
        description=(
            "A file comes as `multipart/form-data` (field `file`, with `title`, `effective_date`, "
            "`visibility`); a link as JSON or multipart with `url` instead of `file`. The report must be "
            "a draft or have changes requested (409 otherwise); officers and contributors may add. A "
            "refused file is a 400 whose `errors` point at `#/file` and say why; a body over the upload "
            "limit is a 413 before it is read. Nothing is stored unless the whole file is accepted. "
            "With an `Idempotency-Key`, a retry (even with another multipart boundary) returns the "
            "first response and adds nothing; the same key with another file is a 422."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request={"multipart/form-data": EvidenceAddInput, "application/json": EvidenceLinkInput},
        responses={201: EvidenceOutput, **problems(*WRITE, 422, 503)},
        examples=[EXAMPLE_LINK, EXAMPLE_FILE, EXAMPLE_EVIDENCE],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        item = item_by_id(request.user, pk, action=Action.EDIT)
        body = EvidenceAddInput(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data
        evidence = evidence_add(
            item=item,
            acting_user=request.user,
            title=given["title"],
            effective_date=given["effective_date"],
            visibility=given["visibility"],
            upload=given.get("file"),
            url=given.get("url", ""),
        )
        return _answer(_evidence_rows().get(pk=evidence.pk), created=True)


class ItemEvidenceApi(EvidenceListApi, EvidenceAddApi):
    """/items/{id}/evidence/: GET lists (EvidenceListApi), POST adds (EvidenceAddApi)."""


class EvidenceDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="evidence_detail",
        summary="Read one piece of evidence",
        description="Its `ETag` is what `If-Match` names when revising it.",
        responses={200: EvidenceOutput, **problems(*READ)},
        examples=[EXAMPLE_EVIDENCE],
    )
    def get(self, request, pk: int) -> Response:
        query_params(request, view=self)
        evidence = access.evidence_for(request.user, pk, action=Action.READ)
        return _answer(_evidence_rows().get(pk=evidence.pk))


class EvidenceReviseApi(APIView):
    parser_classes = [LimitedJSONParser, UploadParser]

    @extend_schema(
        tags=TAGS,
        operation_id="evidence_revise",
        summary="Revise evidence: a new revision that supersedes it",
        description=(
            "Give what changes (a new file or link, title, effective date or visibility); the rest is "
            "carried over. The old revision stays, for the record. Only the latest revision can be "
            "revised (409 otherwise), while the report is a draft or has changes requested. With "
            "`If-Match` (the ETag of its GET) a revision made meanwhile is a 412 and nothing changes."
        ),
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request={"multipart/form-data": EvidenceReviseInput, "application/json": EvidenceReviseLinkInput},
        responses={201: EvidenceOutput, **problems(*WRITE, 412, 422, 503)},
        examples=[
            OpenApiExample("Make it restricted", value={"visibility": "restricted"}, request_only=True),
            EXAMPLE_EVIDENCE,
        ],
    )
    @idempotent
    def post(self, request, pk: int) -> Response:
        evidence = access.evidence_for(request.user, pk, action=Action.READ)
        # Changing evidence is changing its item, as adding it is (the web's evidence form): 403 for
        # those who may only read, before anything about the request is looked at.
        item_by_id(request.user, evidence.item_id, action=Action.EDIT)
        body = EvidenceReviseInput(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data
        with transaction.atomic():
            # Locked in the service's order (report, then evidence), so that the If-Match compared
            # here is still true when the service writes.
            report_lock(evidence.item.report_id)
            current = _evidence_rows().select_for_update(of=("self",)).get(pk=evidence.pk)
            check_if_match(request, _represent(current))
            revision = evidence_revise(
                evidence=current,
                acting_user=request.user,
                title=given.get("title"),
                effective_date=given.get("effective_date"),
                visibility=given.get("visibility"),
                upload=given.get("file"),
                url=given.get("url"),
            )
        return _answer(_evidence_rows().get(pk=revision.pk), created=True)


FILE_RESPONSE = OpenApiResponse(
    OpenApiTypes.BINARY,
    description=(
        "The file, as an attachment named from its title and hash, typed as its content was found to be; "
        "`X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy. Opening a restricted "
        "file is recorded in the ledger (who, what, when)."
    ),
)


class EvidenceDownloadApi(FileDownloadApi):
    @extend_schema(
        tags=TAGS,
        operation_id="evidence_download",
        summary="Download an evidence file",
        description=(
            "Those who may see the report may download its files, as on the web; a link has no file "
            "(404: follow its `url`)."
        ),
        responses={
            **{(200, media_type): FILE_RESPONSE for media_type in (*EXTENSIONS, "application/octet-stream")},
            **problems(*READ),
        },
    )
    def get(self, request, pk: int):
        query_params(request, view=self)
        evidence = access.evidence_for(request.user, pk, action=Action.READ)
        if evidence.kind != Evidence.Kind.FILE or not evidence.storage_name:
            raise Http404("This evidence is a link, not a file.")
        try:
            handle = evidence_open(evidence=evidence, reader=request.user)
        except FileNotFoundError:
            log.error("The stored file of evidence #%s is missing: %s", evidence.pk, evidence.storage_name)
            raise Http404("This evidence file is not available.") from None
        response = evidence_file_response(
            handle, title=evidence.title, sha256=evidence.sha256, media_type=evidence.media_type
        )
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("items/<id:pk>/evidence/", ItemEvidenceApi.as_view(), name="item-evidence"),
    path("evidence/<id:pk>/", EvidenceDetailApi.as_view(), name="evidence-detail"),
    path("evidence/<id:pk>/revise/", EvidenceReviseApi.as_view(), name="evidence-revise"),
    path("evidence/<id:pk>/download/", EvidenceDownloadApi.as_view(), name="evidence-download"),
]
