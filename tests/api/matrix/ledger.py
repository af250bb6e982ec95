"""A report's ledger entries: whoever may read the report (the gate's READ, as the history page asks):
its members, program reviewers and admins, and the auditor engaged on it."""

from tests.api.matrix import MEMBERS, Row, expect

ROWS = [
    Row(
        "GET",
        "/api/v1/reports/{id}/ledger/",
        expect(200, MEMBERS | {"reviewer", "auditor_inside", "admin"}),
        params=lambda w: {"id": w.report("published").pk},
    ),
]
