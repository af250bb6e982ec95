"""Cursor pagination for every list: stable while rows are added, and no COUNT(*) over large tables."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "pk"

    def get_ordering(self, request, queryset, view):
        # Each list names its order (`ordering` on the view); its last field must be unique.
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor is opaque but only base64: a made-up one can carry a position that is no value
        # of the ordering field ("p=abc" for an id), which the database lookup refuses. That is a
        # cursor this list never gave, answered as DRF answers one it cannot decode (404), not a
        # server error.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            if self.cursor_query_param not in request.query_params:
                raise  # no cursor to blame: a bug of the list itself
            raise NotFound(self.invalid_cursor_message) from None
