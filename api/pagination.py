"""Cursor pagination for every list: stable while rows are added, and no COUNT(*) over large tables."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

BAD_CURSOR = "Not a cursor of this list: follow the `next` and `previous` links as they are given."


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "pk"

    def get_ordering(self, request, queryset, view):
        # Each list names its order (`ordering` on the view); its last field must be unique.
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor is opaque but only base64: a made-up one can carry a position that is no value
        # of the ordering field ("p=abc" for an id), which the database lookup refuses. That is
        # the client's bad cursor (400), not a server error.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            if self.cursor_query_param not in request.query_params:
                raise  # no cursor to blame: a bug of the list itself
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None
