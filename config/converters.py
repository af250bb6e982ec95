"""The `<id:…>` path converter every URL naming a row by its number uses.

Like Django's `<id:…>`, but only numbers a row's id can be: past ID_MAX (the largest BigAutoField)
the URL does not match, so the answer is the site's plain 404 — not a database error, which a
lookup through a foreign key (`Publication.objects.filter(report_id=…)`) gives for such a number
(Django guards only a field's own integer lookups)."""

from django.urls import register_converter
from django.urls.converters import IntConverter

ID_MAX = 2**63 - 1


class IdConverter(IntConverter):
    def to_python(self, value: str) -> int:
        number = int(value)
        if number > ID_MAX:
            raise ValueError("not an id")  # no match: a 404
        return number


def register() -> None:
    register_converter(IdConverter, "id")
