"""Cursor pagination for every list: stable while rows are added, and no COUNT(*) over large tables."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from api.problems import InvalidParameters


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "pk"
    invalid_cursor_message = "This cursor is not one the API gave: follow `next` and `previous` as given."

    def get_ordering(self, request, queryset, view):
        # Each list names its order (`ordering` on the view); its last field must be unique.
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:  # DRF's answer to a cursor it cannot read: it is a bad parameter, not a missing page
            raise InvalidParameters({self.cursor_query_param: [self.invalid_cursor_message]}) from None

    def get_page_size(self, request) -> int:
        # DRF falls back to the default for a page size it cannot read; a client that asked for one
        # should hear that it was not understood.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise InvalidParameters({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters
