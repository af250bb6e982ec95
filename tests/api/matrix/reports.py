"""Reporting periods (public, as the gate's program READ is everyone's) and progress reports: read by
members, program staff and the auditor engaged on them; opened by the organisation's officers and
program admins; submitted by its officers."""

from tests.api.matrix import ALL, MEMBERS, SIGNED_IN, Row, expect

READERS = MEMBERS | {"reviewer", "admin", "auditor_inside"}
# Everyone else who may read the report may see it but not do this.
NOT_OFFICERS = READERS - {"officer"}

ROWS = [
    Row("GET", "/api/v1/periods/", expect(200, ALL)),
    Row("GET", "/api/v1/periods/{id}/", expect(200, ALL), params=lambda w: {"id": w.periods["draft"].pk}),
    Row("GET", "/api/v1/reports/", expect(200, SIGNED_IN)),
    Row(
        "POST",
        "/api/v1/reports/",
        # The organisation is seen by its members (403 for those who may not open reports) and by
        # program admins, who may; to everyone else it is unknown.
        expect(201, {"officer", "admin"}, forbidden=MEMBERS - {"officer"}),
        body=lambda w: {"organisation": w.organisation.slug, "period": w.extra["reports_free_period"].pk},
    ),
    Row(
        "GET",
        "/api/v1/reports/{id}/",
        expect(200, READERS),
        params=lambda w: {"id": w.report("in_review").pk},
    ),
    Row(
        "POST",
        "/api/v1/reports/{id}/submit/",
        expect(200, {"officer"}, forbidden=NOT_OFFICERS),
        params=lambda w: {"id": w.report("draft").pk},
    ),
]
