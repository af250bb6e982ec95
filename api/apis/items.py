"""A report's items: list them (with their metrics), read one, change one, change many at once.

Reading asks the gate for READ on the report, changing for EDIT (the workspace's `item_save`:
`item_for(..., EDIT)`); one item is changed by `item_update`, many by `items_update`, which is
the same code and writes all or nothing in a fixed number of queries.

Concurrency: an item's representation carries its `etag` (also the `ETag` header of its GET). A
PATCH of one item honours `If-Match`, a bulk entry its own `if_match`; both are compared inside the
service's transaction with the report and the items locked (the services' `guard`), so two
clients with the same ETag cannot both win: the second gets 412 and nothing of its request is
applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django.db.models import F, QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.apis.loaders import item_by_id
from api.concurrency import check_if_match, etag_of, if_match_holds
from api.filters import ID_MAX, OneOfFilter, StrictFilterBackend, StrictFilterSet
from api.problems import PreconditionFailed
from api.schema import IF_MATCH, READ, WRITE, problems
from api.serializers import StrictSerializer, TextField
from commitments import access
from commitments.access import Action
from commitments.errors import ValidationFailed
from commitments.models import FrameworkNode, ItemResponse, MetricDefinition
from commitments.selectors import items_with_metrics
from commitments.services.reports import ItemEdit, MetricInput, decimal_text, item_update, items_update
from commitments.vocabulary import ImplementationStatus

# A bulk update names each item once; no framework has nearly this many mitigations.
BULK_MAX = 500
METRICS_MAX = 50
CHANGED_FIELDS = ("status", "narrative", "areas_needing_progress", "metrics")

# --- what an item looks like --------------------------------------------------------------------


class MetricValueOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    required = serializers.BooleanField(
        help_text="Needed for submission (unless the item is not applicable)."
    )
    requires_data_source = serializers.BooleanField()
    value = serializers.CharField(
        allow_null=True, help_text='The number as text (`"1204"`, `"12.5"`); null: none.'
    )
    data_source = serializers.CharField(help_text="Where the number comes from.")


class ItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    report = serializers.IntegerField(source="report_id")
    node_id = serializers.CharField(source="node.node_id")
    code = serializers.CharField(source="node.code")
    title = serializers.CharField(source="node.title")
    status = serializers.ChoiceField(
        choices=ImplementationStatus.choices, allow_blank=True, help_text="Empty while unanswered."
    )
    narrative = serializers.CharField(help_text="Markdown.")
    areas_needing_progress = serializers.CharField()
    carried_forward = serializers.BooleanField(
        help_text="Copied from the last published report and not edited since."
    )
    version = serializers.IntegerField(help_text="Counts the saves.")
    updated_at = serializers.DateTimeField()
    updated_by = serializers.SerializerMethodField(help_text="Who saved it last, as the editor shows it.")
    metrics = serializers.SerializerMethodField(
        help_text="Each metric the mitigation asks for, with its value."
    )
    etag = serializers.SerializerMethodField(
        help_text="This version's ETag: send it as `If-Match` (or a bulk entry's `if_match`)."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_updated_by(self, item: ItemResponse) -> str | None:
        return str(item.updated_by) if item.updated_by else None

    @extend_schema_field(MetricValueOutput(many=True))
    def get_metrics(self, item: ItemResponse) -> list[dict[str, Any]]:
        values = {value.metric.key: value for value in item.metric_values.all()}
        return [_metric(definition, values.get(definition.key)) for definition in item.node.metrics.all()]

    @extend_schema_field(OpenApiTypes.STR)
    def get_etag(self, item: ItemResponse) -> str:
        return ""  # set by to_representation, from everything else

    def to_representation(self, item: ItemResponse) -> dict[str, Any]:
        data = super().to_representation(item)
        data["etag"] = etag_of(_versioned(data))
        return data


def _metric(definition: MetricDefinition, value) -> dict[str, Any]:
    return {
        "key": definition.key,
        "name": definition.name,
        "unit": definition.unit,
        "required": definition.required,
        "requires_data_source": definition.requires_data_source,
        "value": decimal_text(value.value) if value is not None else None,
        "data_source": value.data_source if value is not None else "",
    }


def _versioned(representation: Mapping[str, Any]) -> dict[str, Any]:
    """What the ETag is of: the representation without the ETag itself."""
    return {name: value for name, value in representation.items() if name != "etag"}


def _current(item_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The items as they are now (read inside the update's transaction, the rows locked)."""
    return {
        item.pk: _versioned(ItemOutput(item).data)
        for item in items_with_metrics().filter(pk__in=list(item_ids))
    }


ITEM_EXAMPLE = OpenApiExample(
    "An item",
    value={
        "id": 812,
        "report": 41,
        "node_id": "sbd.deploy.4.m8",
        "code": "M8",
        "title": "Incorporate user reporting, feedback or flagging options",
        "status": "implemented",
        "narrative": "Every image has a *Report* button; reports reach the safety team within minutes.",
        "areas_needing_progress": "",
        "carried_forward": False,
        "version": 3,
        "updated_at": "2026-12-01T09:00:00Z",
        "updated_by": "Tamarind compliance officer",
        "metrics": [
            {
                "key": "user_reports_received",
                "name": "User reports received",
                "unit": "count",
                "required": True,
                "requires_data_source": True,
                "value": "1204",
                "data_source": "Trust & safety case system export (fictional)",
            }
        ],
        "etag": '"5f0c6a1e9b7d4c2a8e3f1b0d9c8a7e6f"',
    },
    response_only=True,
)

# --- what a client sends ------------------------------------------------------------------------


@extend_schema_field({"type": ["string", "number"], "maxLength": 100})
class MetricNumberField(serializers.CharField):
    """A metric's value as text or as a JSON number (kept as the text it was sent as)."""

    text_only = False  # StrictSerializer lets a number through here


class MetricInputBody(StrictSerializer):
    """A metric's value and where it comes from; both replace what was saved."""

    value = MetricNumberField(
        allow_null=True,
        allow_blank=True,
        max_length=100,
        help_text='The number (text, e.g. `"1204"`, or a JSON number); null or empty clears it.',
    )
    data_source = TextField(allow_blank=True, help_text="Where the number comes from.")


class ItemChangeInput(StrictSerializer):
    """What an item's edit may change; what is left out stays as it is."""

    status = serializers.ChoiceField(
        choices=ImplementationStatus.choices, allow_blank=True, required=False, help_text="Empty: unanswered."
    )
    narrative = TextField(allow_blank=True, required=False, help_text="Markdown.")
    areas_needing_progress = TextField(allow_blank=True, required=False)
    metrics = serializers.DictField(
        child=MetricInputBody(),
        required=False,
        help_text="By metric key; each replaces the metric's value and data source.",
    )

    def validate_metrics(self, metrics: dict[str, Any]) -> dict[str, Any]:
        if len(metrics) > METRICS_MAX:
            raise serializers.ValidationError(f"At most {METRICS_MAX} metrics.")
        too_long = MetricDefinition._meta.get_field("key").max_length
        if any(len(key) > too_long for key in metrics):
            raise serializers.ValidationError(f"A metric key has at most {too_long} characters.")
        return metrics

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not any(name in data for name in CHANGED_FIELDS):
            raise serializers.ValidationError(f"Nothing to change: send one of {', '.join(CHANGED_FIELDS)}.")
        return data


class ItemBulkEntryInput(ItemChangeInput):
    """One item's change: the item, optionally its ETag as read, and what to change."""

    id = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False, help_text="The item's id…")
    node_id = TextField(
        max_length=FrameworkNode._meta.get_field("node_id").max_length,
        required=False,
        help_text="…or its node id (one of the two).",
    )
    if_match = TextField(
        max_length=500, required=False, help_text="The item's ETag as you read it: 412 if it changed since."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("id" in data) == ("node_id" in data):
            raise serializers.ValidationError("Name the item by `id` or by `node_id` (one of them).")
        return super().validate(data)


class ItemBulkInput(StrictSerializer):
    """The items to change, each once, by `id` or `node_id`."""

    items = ItemBulkEntryInput(many=True, allow_empty=False, max_length=BULK_MAX)

    # A PATCH of the collection whose body is whole (`items` is required), while drf-spectacular
    # documents every PATCH body as partial by setting `partial`: this body never is.
    partial = property(lambda self: False, lambda self, value: None)


class ItemBulkOutput(serializers.Serializer):
    items = ItemOutput(many=True, help_text="The items as saved, in the order sent.")


def _changes(data: Mapping[str, Any]) -> dict[str, Any]:
    """A validated body as the services' keyword arguments."""
    changes = {name: data[name] for name in ("status", "narrative", "areas_needing_progress") if name in data}
    if "metrics" in data:
        changes["metrics"] = {
            key: MetricInput(value=given["value"], data_source=given["data_source"])
            for key, given in data["metrics"].items()
        }
    return changes


def _pointed(problems: Mapping[str, list[str]]) -> dict[str, Any]:
    """An item's problems as the services key them ("metric:<key>", "item") at the body's fields."""
    pointed: dict[str, Any] = {}
    for key, messages in problems.items():
        if key.startswith("metric:"):
            pointed.setdefault("metrics", {})[key.removeprefix("metric:")] = messages
        elif key == "item":
            pointed.setdefault("non_field_errors", []).extend(messages)
        else:
            pointed[key] = messages
    return pointed


# --- the operations -------------------------------------------------------------------------------


class ItemFilter(StrictFilterSet):
    status = OneOfFilter(choices=ImplementationStatus.choices)
    node_id = django_filters.CharFilter(field_name="node__node_id")

    class Meta:
        model = ItemResponse
        fields = ["status", "node_id", "carried_forward"]


@extend_schema(tags=["items"], responses={200: ItemOutput(many=True), **problems(*READ)})
class ItemListApi(generics.ListAPIView):
    """A report's items in framework order, each with its metrics and ETag."""

    serializer_class = ItemOutput
    filter_backends = [StrictFilterBackend]
    filterset_class = ItemFilter
    queryset = ItemResponse.objects.none()  # for the schema; the report's own below
    ordering = ("position", "id")

    def get_queryset(self) -> QuerySet[ItemResponse]:
        report = access.report_for(self.request.user, self.kwargs["pk"], action=Action.READ)
        return items_with_metrics().filter(report=report).annotate(position=F("node__position"))


class ItemBulkUpdateApi(APIView):
    @extend_schema(
        tags=["items"],
        summary="Change many items at once",
        description=(
            "Change several items of the report in one request, all or nothing (officers and contributors "
            "of the organisation, while the report is a draft or sent back for changes). Name each item by "
            "`id` or `node_id`; what an entry leaves out stays as it is. An entry's `if_match` (the item's "
            "`etag`) makes it conditional: if any such item changed since, nothing is saved and the answer "
            "is 412. Invalid entries are refused together with 400, each problem's `pointer` naming the "
            "entry and field (`#/items/3/narrative`, `#/items/0/metrics/ncmec_reports`). The number of "
            "database queries does not grow with the number of items."
        ),
        request=ItemBulkInput,
        responses={
            200: OpenApiResponse(ItemBulkOutput, description="Saved; the items as they are now."),
            **problems(*WRITE, 412),
        },
        examples=[
            OpenApiExample(
                "Two items",
                value={
                    "items": [
                        {
                            "node_id": "sbd.deploy.4.m8",
                            "if_match": '"5f0c6a1e9b7d4c2a8e3f1b0d9c8a7e6f"',
                            "status": "implemented",
                            "narrative": "Every image has a *Report* button.",
                            "metrics": {
                                "user_reports_received": {
                                    "value": "1204",
                                    "data_source": "Trust & safety case system export",
                                }
                            },
                        },
                        {"id": 813, "status": "planned", "narrative": ""},
                    ]
                },
                request_only=True,
            )
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        report = access.report_for(request.user, pk, action=Action.EDIT)
        body = ItemBulkInput(data=request.data)
        body.is_valid(raise_exception=True)
        entries = body.validated_data["items"]

        def guard(locked: list[ItemResponse]) -> None:
            conditional = [
                (position, entry["if_match"], item)
                for position, (entry, item) in enumerate(zip(entries, locked, strict=True))
                if "if_match" in entry
            ]
            if not conditional:
                return
            current = _current(item.pk for *_, item in conditional)
            stale = [
                (position, item)
                for position, tag, item in conditional
                if not if_match_holds(tag, current[item.pk])
            ]
            if stale:
                named = ", ".join(f"#/items/{position} ({item.node.node_id})" for position, item in stale)
                raise PreconditionFailed(
                    f"Changed since you read them (their `if_match` is not their current ETag): {named}. "
                    "Nothing was changed: GET the items again, reapply your changes and retry."
                )

        edits = [
            ItemEdit(item_id=entry.get("id"), node_id=entry.get("node_id"), **_changes(entry))
            for entry in entries
        ]
        try:
            saved = items_update(report=report, acting_user=request.user, updates=edits, guard=guard)
        except ValidationFailed as exc:
            raise ValidationFailed(
                str(exc), {"items": {position: _pointed(found) for position, found in exc.problems.items()}}
            ) from exc
        fresh = {item.pk: item for item in items_with_metrics().filter(pk__in=[item.pk for item in saved])}
        return Response({"items": ItemOutput([fresh[item.pk] for item in saved], many=True).data})


class ReportItemsApi(ItemListApi, ItemBulkUpdateApi):
    """/reports/{id}/items/: GET is ItemListApi, PATCH is ItemBulkUpdateApi (one class per operation)."""


@extend_schema(tags=["items"], responses={200: ItemOutput, **problems(*READ)}, examples=[ITEM_EXAMPLE])
class ItemDetailApi(APIView):
    """One item, with its `ETag`."""

    def get(self, request: Request, pk: int) -> Response:
        item = item_by_id(request.user, pk, action=Action.READ, items=items_with_metrics())
        data = ItemOutput(item).data
        return Response(data, headers={"ETag": data["etag"]})


class ItemUpdateApi(APIView):
    @extend_schema(
        tags=["items"],
        summary="Change one item",
        description=(
            "Change an item's status, narrative, areas needing progress or metrics (officers and "
            "contributors, while the report is a draft or sent back for changes); what the body leaves out "
            "stays as it is. With `If-Match` (its ETag) the change is applied only if the item has not "
            "changed since (412 otherwise); without it, the last change wins."
        ),
        request=ItemChangeInput,
        parameters=[IF_MATCH],
        responses={200: ItemOutput, **problems(*WRITE, 412)},
        examples=[
            OpenApiExample(
                "Answer an item",
                value={
                    "status": "implemented",
                    "narrative": "Every image has a *Report* button.",
                    "metrics": {
                        "user_reports_received": {"value": "1204", "data_source": "Case system export"}
                    },
                },
                request_only=True,
            ),
            ITEM_EXAMPLE,
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        item = item_by_id(request.user, pk, action=Action.EDIT)
        body = ItemChangeInput(data=request.data)
        body.is_valid(raise_exception=True)

        def guard(locked: ItemResponse) -> None:
            check_if_match(request, _current([locked.pk])[locked.pk])

        try:
            item_update(
                item=item,
                acting_user=request.user,
                expected_version=None,
                guard=guard,
                **_changes(body.validated_data),
            )
        except ValidationFailed as exc:
            raise ValidationFailed(str(exc), _pointed(exc.problems)) from exc
        data = ItemOutput(items_with_metrics().get(pk=item.pk)).data
        return Response(data, headers={"ETag": data["etag"]})


class ItemApi(ItemDetailApi, ItemUpdateApi):
    """/items/{id}/: GET is ItemDetailApi, PATCH is ItemUpdateApi (one class per operation)."""


urlpatterns = [
    path("reports/<id:pk>/items/", ReportItemsApi.as_view(), name="report-items"),
    path("items/<id:pk>/", ItemApi.as_view(), name="item-detail"),
]
