"""Base serializers of the API's request bodies."""

from __future__ import annotations

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a misspelt field is an error, not silently nothing."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError(
                    {key: [f"Unknown field. Known fields: {', '.join(sorted(known))}."] for key in unknown}
                )
        return super().to_internal_value(data)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error response of the API carries them (for the schema)."""

    type = serializers.CharField(help_text="A URI naming the kind of problem; described at /api/problems/.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong with this request, for a person to read.")
    instance = serializers.CharField(required=False, help_text="The path of the request.")
    errors = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text=(
            "For invalid input, one entry per problem: {pointer, detail} for the body (`pointer` is a "
            "JSON Pointer into it) or {parameter, detail} for a query parameter or header."
        ),
    )
