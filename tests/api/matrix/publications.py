"""Publication and corrections: program admins only; members, reviewers and the engaged auditor see
the report but may not (403); those who cannot see it get it as unknown (404)."""

from tests.api.matrix import Row, expect

# Who sees Northwind's reports without being allowed to publish them.
SEE_ONLY = {"contributor", "viewer", "officer", "own_reviewer", "reviewer", "auditor_inside"}

ROWS = [
    Row(
        "POST",
        "/api/v1/reports/{id}/publish/",
        expect(201, {"admin"}, forbidden=SEE_ONLY),
        params=lambda w: {"id": w.report("verified").pk},
    ),
    Row(
        "POST",
        "/api/v1/reports/{id}/corrections/",
        # The admin passes the gate and is told there is nothing to correct: the published report
        # says what its publication says (tests/api/test_publications_correct.py corrects one).
        expect(400, {"admin"}, forbidden=SEE_ONLY),
        params=lambda w: {"id": w.report("published").pk},
        body=lambda w: {"reason": "The metric was entered in the wrong unit."},
    ),
    Row(
        "GET",
        "/api/v1/reports/{id}/publications/",
        expect(200, {"admin"}, forbidden=SEE_ONLY),
        params=lambda w: {"id": w.report("published").pk},
    ),
]
