"""django-filter on every list, its refusals as problems naming the query parameter.

One reading of a query value for every list: `StrictFilterSet` (the base of every list's filters,
the ones written out and the ones `filterset_fields` generates) takes an id as a whole number a
row's id can be, a boolean as `true` or `false`, a choice as one of its values, and refuses
anything else with a 400 — also an empty value (`?status=`), which django-filter would read as
"no filter" and answer with the unfiltered list.

`StrictFilterBackend` also refuses query parameters a list does not read, as StrictSerializer
refuses unknown body fields: a misspelt filter (`?organization=…`) silently ignored would answer
with the unfiltered list, which a script would take for the filtered one. A list answers its
filters, its cursor and page size, and `format`.
"""

from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override
from rest_framework import serializers
from rest_framework.settings import api_settings

from api.problems import InvalidParameters
from config.converters import ID_MAX

EMPTY = "Give a value, or leave the parameter out."


class _Typed:
    """A filter whose value the schema states as `schema`, with the filter's help text (drf-spectacular
    leaves the description out of a filter whose schema is given)."""

    schema: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        schema = dict(self.schema)
        if self.extra.get("help_text"):
            schema["description"] = self.extra["help_text"]
        set_override(self, "field", schema)


class WholeNumberFilter(_Typed, django_filters.NumberFilter):
    """A whole number from 1 to what the databases compare (NumberFilter takes 0.5 and finds nothing
    with it; a larger number is a database error on PostgreSQL): ids, versions, revisions."""

    field_class = forms.IntegerField
    schema = {"type": "integer", "minimum": 1, "maximum": ID_MAX}

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class IdFilter(WholeNumberFilter):
    """A row's id."""


class OneOfFilter(django_filters.ChoiceFilter):
    """One of the choices; anything else is a 400 (the empty value too: see FilterBackend)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("empty_label", None)  # no "" choice offered, in the form or the schema
        super().__init__(*args, **kwargs)


class TrueOrFalse(forms.Field):
    """`true` or `false` and nothing else (django-filter's boolean reads any other word as no filter)."""

    widget = forms.TextInput  # the raw value: NullBooleanSelect would read "null" or "yes" as None

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")


class TrueOrFalseFilter(_Typed, django_filters.BooleanFilter):
    field_class = TrueOrFalse
    schema = {"type": "boolean"}


class StrictFilterSet(django_filters.FilterSet):
    """The base of every list's filters: the strict filters above for the fields it generates."""

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is django_filters.BooleanFilter:
            return TrueOrFalseFilter, params
        if filter_class is django_filters.ChoiceFilter:
            return OneOfFilter, params
        if filter_class is django_filters.NumberFilter and isinstance(field, models.IntegerField):
            return WholeNumberFilter, params
        return filter_class, params


class FilterBackend(DjangoFilterBackend):
    filterset_base = StrictFilterSet

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        check_filters(request, filterset)
        return filterset.qs


def check_filters(request, filterset: django_filters.FilterSet) -> None:
    """400, naming each parameter, unless every filter's value is valid and none is sent empty."""
    errors = {} if filterset.is_valid() else dict(filterset.errors)
    for name in filterset.filters:
        if "" in request.query_params.getlist(name):
            errors[name] = [EMPTY]
    if errors:
        raise InvalidParameters(errors)


def _always(view: Any) -> set[str]:
    """What every view reads besides its filters: the renderer override and the paginator's own."""
    known = {api_settings.URL_FORMAT_OVERRIDE}
    paginator = getattr(view, "paginator", None)
    for attribute in ("cursor_query_param", "page_size_query_param"):
        known.add(getattr(paginator, attribute, None))
    return {name for name in known if name}


def refuse_unknown(request, known: Iterable[str], view: Any = None) -> None:
    known = set(known) | _always(view)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        message = f"Unknown query parameter. Known ones: {', '.join(sorted(known))}."
        raise InvalidParameters({name: [message] for name in unknown})


class StrictFilterBackend(FilterBackend):
    """FilterBackend (and its schema), refusing query parameters the list does not read."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        refuse_unknown(request, filterset_class.base_filters if filterset_class else (), view)
        return super().filter_queryset(request, queryset, view)


def query_params(request, serializer_class: type[serializers.Serializer] | None = None, view: Any = None):
    """The validated query parameters of a single object's GET (400 for a bad or unknown one)."""
    fields = serializer_class().fields if serializer_class else {}
    refuse_unknown(request, fields, view)
    if serializer_class is None:
        return {}
    empty = {name: [EMPTY] for name in fields if request.query_params.get(name) == ""}
    if empty:
        raise InvalidParameters(empty)
    wanted = {name: request.query_params[name] for name in fields if name in request.query_params}
    serializer = serializer_class(data=wanted)
    if not serializer.is_valid():
        raise InvalidParameters({name: list(errors) for name, errors in serializer.errors.items()})
    return serializer.validated_data
