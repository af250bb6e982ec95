"""Frameworks and their nodes: public, like the framework pages."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from api.schema import PUBLIC, problems
from commitments.models import Framework, FrameworkNode, MetricDefinition
from commitments.selectors import framework_list


class MetricOutput(serializers.ModelSerializer):
    class Meta:
        model = MetricDefinition
        fields = ["key", "name", "unit", "description", "required", "requires_data_source"]


class FrameworkOutput(serializers.ModelSerializer):
    item_count = serializers.IntegerField(help_text="Reportable nodes: the items a report answers.")

    class Meta:
        model = Framework
        fields = [
            "id",
            "key",
            "version",
            "title",
            "short_title",
            "description",
            "publisher",
            "published_on",
            "source_url",
            "levels",
            "item_count",
        ]


class NodeOutput(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="node_id", read_only=True, allow_null=True)
    metrics = MetricOutput(many=True, read_only=True)

    class Meta:
        model = FrameworkNode
        fields = [
            "node_id",
            "parent",
            "kind",
            "reportable",
            "code",
            "title",
            "description",
            "source_ref",
            "evidence_expected",
            "verification_criteria",
            "example_disclosure",
            "unconfirmed",
            "depth",
            "position",
            "metrics",
        ]


@extend_schema(tags=["frameworks"], responses={200: FrameworkOutput(many=True), **problems(*PUBLIC)})
class FrameworkListApi(generics.ListAPIView):
    """Every framework version loaded, with its number of reportable items."""

    permission_classes = [AllowAny]
    serializer_class = FrameworkOutput
    ordering = ("key", "version", "id")
    filterset_fields = ["key"]

    def get_queryset(self):
        return framework_list()


@extend_schema(tags=["frameworks"], responses={200: FrameworkOutput, **problems(404)})
class FrameworkDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = FrameworkOutput

    def get_object(self):
        return get_object_or_404(framework_list(), pk=self.kwargs["pk"])


@extend_schema(tags=["frameworks"], responses={200: NodeOutput(many=True), **problems(404)})
class FrameworkNodeListApi(generics.ListAPIView):
    """A framework's tree, depth first (`position`); `parent` names the parent's node_id."""

    permission_classes = [AllowAny]
    serializer_class = NodeOutput
    queryset = FrameworkNode.objects.none()  # for the schema; the framework's own below
    ordering = ("position", "id")
    filterset_fields = ["kind", "reportable"]

    def get_queryset(self):
        framework = get_object_or_404(Framework, pk=self.kwargs["pk"])
        return framework.nodes.select_related("parent").prefetch_related("metrics")
