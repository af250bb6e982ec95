"""Frameworks and nodes: public, to everyone, token or not."""

from tests.api.matrix import ALL, Row, expect

ROWS = [
    Row("GET", "/api/v1/frameworks/", expect(200, ALL)),
    Row("GET", "/api/v1/frameworks/{id}/", expect(200, ALL), params=lambda w: {"id": w.framework.pk}),
    Row("GET", "/api/v1/frameworks/{id}/nodes/", expect(200, ALL), params=lambda w: {"id": w.framework.pk}),
]
