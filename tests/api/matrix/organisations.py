"""Organisations and their commitments: their members read them; a program admin, who may open
reports for any organisation but belongs to none, sees that it exists (403); nobody else does."""

from tests.api.matrix import MEMBERS, SIGNED_IN, Row, expect

ORGANISATION = expect(200, MEMBERS, forbidden={"admin"})

ROWS = [
    Row("GET", "/api/v1/organisations/", expect(200, SIGNED_IN)),
    Row("GET", "/api/v1/organisations/{slug}/", ORGANISATION, params=lambda w: {"slug": w.organisation.slug}),
    Row(
        "GET",
        "/api/v1/organisations/{slug}/commitments/",
        ORGANISATION,
        params=lambda w: {"slug": w.organisation.slug},
    ),
]
