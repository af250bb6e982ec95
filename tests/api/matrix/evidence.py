"""Evidence: those who may see the report see and download its evidence (restricted files too, as on
the web); its officers and contributors add and revise it while the report is a draft."""

from commitments.models import Evidence
from tests.api.matrix import Row, expect

READERS = frozenset(
    {"contributor", "viewer", "officer", "own_reviewer", "reviewer", "auditor_inside", "admin"}
)
EDITORS = frozenset({"contributor", "officer"})


def draft_item(w):
    return {"id": w.item("draft").pk}


def draft_evidence(w, **kind):
    evidence = Evidence.objects.filter(item=w.item("draft"), **kind).order_by("pk").first()
    return {"id": evidence.pk}


LINK = {
    "url": "https://example.test/policies/hash-matching",
    "title": "Hash-matching policy",
    "effective_date": "2026-03-01",
    "visibility": "public",
}

ROWS = [
    Row("GET", "/api/v1/items/{id}/evidence/", expect(200, READERS), params=draft_item),
    Row(
        "POST",
        "/api/v1/items/{id}/evidence/",
        expect(201, EDITORS, forbidden=READERS - EDITORS),
        params=draft_item,
        body=lambda w: LINK,
    ),
    Row("GET", "/api/v1/evidence/{id}/", expect(200, READERS), params=draft_evidence),
    Row(
        "POST",
        "/api/v1/evidence/{id}/revise/",
        expect(201, EDITORS, forbidden=READERS - EDITORS),
        params=draft_evidence,
        body=lambda w: {"title": "Hash-matching policy, as revised"},
    ),
    Row(
        "GET",
        "/api/v1/evidence/{id}/download/",
        expect(200, READERS),
        params=lambda w: draft_evidence(
            w, kind=Evidence.Kind.FILE, visibility=Evidence.Visibility.RESTRICTED
        ),
        note="a restricted file: members, reviewers, admins and the engaged auditor, as on the web",
    ),
]
