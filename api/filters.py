"""Query parameters, read strictly, as request bodies are (api/serializers.py StrictSerializer).

A list answers the filters it names, its cursor and page size, and `format`; any other parameter is
a 400 naming the known ones. A misspelt filter (`?organization=…`) silently ignored would answer
with an unfiltered list, which a script would take for the filtered one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings


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
        raise ValidationError({name: [message] for name in unknown})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend (and its schema), refusing query parameters the list does not read."""

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
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
