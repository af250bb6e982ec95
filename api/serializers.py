"""Base serializers of the API's request bodies."""

from __future__ import annotations

from rest_framework import serializers

JSON_KINDS = (
    (bool, "true or false"),
    ((int, float), "a number"),
    (list, "an array"),
    (dict, "an object"),
)
NOT_TEXT = "Send text (a JSON string), not {kind}."


def not_text(data) -> str | None:
    """What is wrong with `data` as a text field's value, if it is not a string."""
    if isinstance(data, str):
        return None
    return NOT_TEXT.format(kind=next((name for types, name in JSON_KINDS if isinstance(data, types)), "that"))


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, and a text field sent as anything but a string."""

    # A misspelt field is an error, not silently nothing. DRF's CharField would take 42 or true as
    # the text "42" / "True"; the schema says string, so a number is an invalid body, refused as one.

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError(
                    {key: [f"Unknown field. Known fields: {', '.join(sorted(known))}."] for key in unknown}
                )
            wrong = {
                name: [problem]
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and getattr(field, "text_only", True)
                and not field.read_only
                and name in data
                and data[name] is not None
                and (problem := not_text(data[name]))
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """A string, and only a string, in a serializer that is not a StrictSerializer."""

    default_error_messages = {"not_text": NOT_TEXT}

    def to_internal_value(self, data):
        problem = not_text(data)
        if problem:
            raise serializers.ValidationError(problem, code="not_text")
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
