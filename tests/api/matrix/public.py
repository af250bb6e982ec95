"""Published reports, open data and the log's checkpoint: public, to everyone, token or not."""

from tests.api.matrix import ALL, Row, expect

ROWS = [
    Row("GET", "/api/v1/published-reports/", expect(200, ALL)),
    Row(
        "GET",
        "/api/v1/published-reports/{id}/",
        expect(200, ALL),
        params=lambda w: {"id": w.report("published").pk},
    ),
    Row("GET", "/api/v1/open-data/", expect(200, ALL)),
    Row("GET", "/api/v1/log/checkpoint/", expect(200, ALL)),
]
