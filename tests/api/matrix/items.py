"""A report's items: read by whoever may read the report; changed, one or many at once, by the
organisation's officers and contributors (the others who may read it may see, not change)."""

from tests.api.matrix import Row, expect
from tests.api.matrix.reports import READERS

EDITORS = {"officer", "contributor"}

ROWS = [
    Row(
        "GET",
        "/api/v1/reports/{id}/items/",
        expect(200, READERS),
        params=lambda w: {"id": w.report("draft").pk},
    ),
    Row(
        "PATCH",
        "/api/v1/reports/{id}/items/",
        expect(200, EDITORS, forbidden=READERS - EDITORS),
        params=lambda w: {"id": w.report("draft").pk},
        body=lambda w: {"items": [{"id": w.item("draft").pk, "narrative": "Changed through the API."}]},
    ),
    Row("GET", "/api/v1/items/{id}/", expect(200, READERS), params=lambda w: {"id": w.item("draft").pk}),
    Row(
        "PATCH",
        "/api/v1/items/{id}/",
        expect(200, EDITORS, forbidden=READERS - EDITORS),
        params=lambda w: {"id": w.item("draft").pk},
        body=lambda w: {"narrative": "Changed through the API."},
    ),
]
