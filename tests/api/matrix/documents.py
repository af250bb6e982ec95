"""Signed PDFs: the report's (public PDF of the published report), the period's summaries, one document.
Reading a report's documents is READ_DOCUMENTS; asking for its public PDF is PUBLISH (program admins);
a period's summaries are program documents (staff and engaged auditors; members may see the program
but not these: 403)."""

from tests.api.matrix import Row, expect

SEE_REPORT = {"contributor", "viewer", "officer", "own_reviewer", "reviewer", "auditor_inside", "admin"}
PROGRAM_DOCUMENTS = {"own_reviewer", "reviewer", "auditor_inside", "auditor_outside", "admin"}
NOT_PROGRAM_STAFF = {"other_officer", "contributor", "viewer", "officer"}


def _published(w):
    return {"id": w.report("published").pk}


def _public_pdf(w):
    return {"id": w.extra["documents_public_pdf"].pk}


def _period(w):
    return {"id": w.periods["published"].pk}


ROWS = [
    Row("GET", "/api/v1/reports/{id}/documents/", expect(200, SEE_REPORT), params=_published),
    Row(
        "POST",
        "/api/v1/reports/{id}/documents/request/",
        expect(202, {"admin"}, forbidden=SEE_REPORT - {"admin"}),
        params=_published,
        body=lambda w: {"kind": "public"},
    ),
    Row(
        "GET",
        "/api/v1/periods/{id}/documents/",
        expect(200, PROGRAM_DOCUMENTS, forbidden=NOT_PROGRAM_STAFF),
        params=_period,
    ),
    Row(
        "POST",
        "/api/v1/periods/{id}/documents/request/",
        expect(202, {"admin"}, forbidden=(PROGRAM_DOCUMENTS | NOT_PROGRAM_STAFF) - {"admin"}),
        params=_period,
    ),
    Row("GET", "/api/v1/documents/{id}/", expect(200, SEE_REPORT), params=_public_pdf),
    Row(
        "POST",
        "/api/v1/documents/{id}/retry/",
        # A ready PDF is not retried: the admin, who may, hears why (409).
        expect(409, {"admin"}, forbidden=SEE_REPORT - {"admin"}),
        params=_public_pdf,
    ),
    Row("GET", "/api/v1/documents/{id}/download/", expect(200, SEE_REPORT), params=_public_pdf),
]
