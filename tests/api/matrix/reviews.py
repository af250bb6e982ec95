"""Review: program reviewers and admins outside the organisation review (the reviewer who belongs to
it is refused, 403); its officers and contributors and those reviewers comment; its officers respond;
everyone who may see the report reads verdicts, responses and comments."""

from tests.api.matrix import Row, expect

READERS = frozenset(
    {"contributor", "viewer", "officer", "own_reviewer", "reviewer", "auditor_inside", "admin"}
)
REVIEWERS = frozenset({"reviewer", "admin"})
COMMENTERS = frozenset({"contributor", "officer", "reviewer", "admin"})
RESPONDERS = frozenset({"officer"})


def report(state):
    return lambda w: {"id": w.report(state).pk}


def item(state):
    return lambda w: {"id": w.item(state).pk}


ROWS = [
    Row(
        "POST",
        "/api/v1/reports/{id}/start-review/",
        expect(200, REVIEWERS, forbidden=READERS - REVIEWERS),
        params=report("submitted"),
    ),
    Row(
        "POST",
        "/api/v1/reports/{id}/request-changes/",
        expect(200, REVIEWERS, forbidden=READERS - REVIEWERS),
        params=report("in_review"),
        body=lambda w: {"items": [w.item("in_review").pk], "message": "Attach the policy itself."},
    ),
    Row(
        "POST",
        "/api/v1/reports/{id}/verify/",
        expect(400, REVIEWERS, forbidden=READERS - REVIEWERS),
        params=report("in_review"),
        note=(
            "the world's report in review has no verdicts yet: those allowed pass the gate and meet the "
            "service's rule (400, every item needs a verdict); tests/api/test_reviews_moves.py verifies one"
        ),
    ),
    Row("GET", "/api/v1/items/{id}/verdicts/", expect(200, READERS), params=item("verified")),
    Row(
        "POST",
        "/api/v1/items/{id}/verdicts/",
        expect(201, REVIEWERS, forbidden=READERS - REVIEWERS),
        params=item("in_review"),
        body=lambda w: {"verdict": "verified", "justification": "Policy document seen."},
    ),
    Row("GET", "/api/v1/items/{id}/company-responses/", expect(200, READERS), params=item("verified")),
    Row(
        "POST",
        "/api/v1/items/{id}/company-responses/",
        expect(201, RESPONDERS, forbidden=READERS - RESPONDERS),
        params=item("verified"),
        body=lambda w: {"body": "The rollout to the last region finished in May."},
    ),
    Row("GET", "/api/v1/items/{id}/comments/", expect(200, READERS), params=item("in_review")),
    Row(
        "POST",
        "/api/v1/items/{id}/comments/",
        expect(201, COMMENTERS, forbidden=READERS - COMMENTERS),
        params=item("in_review"),
        body=lambda w: {"body": "Which regions does the rollout cover?"},
    ),
]
