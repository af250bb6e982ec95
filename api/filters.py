"""django-filter on every list, its refusals as problems naming the query parameter."""

from django_filters.rest_framework import DjangoFilterBackend

from api.problems import InvalidParameters


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise InvalidParameters(filterset.errors)
        return filterset.qs
