"""django-filter on every list, its refusals as problems naming the query parameter.

`StrictFilterBackend` also refuses query parameters a list does not read, as StrictSerializer
refuses unknown body fields: a misspelt filter (`?organization=…`) silently ignored would answer
with the unfiltered list, which a script would take for the filtered one. A list answers its
filters, its cursor and page size, and `format`.
"""

from collections.abc import Iterable
from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.settings import api_settings

from api.problems import InvalidParameters


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise InvalidParameters(filterset.errors)
        return filterset.qs


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
    wanted = {name: request.query_params[name] for name in fields if name in request.query_params}
    serializer = serializer_class(data=wanted)
    if not serializer.is_valid():
        raise InvalidParameters({name: list(errors) for name, errors in serializer.errors.items()})
    return serializer.validated_data
