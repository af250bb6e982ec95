"""A number in a URL's id place that no row's id can be (past the largest BigAutoField) is the plain
404 of an unknown id, on every page and endpoint, whatever lookup the view makes with it — never a
database error (schemathesis found `/api/v1/published-reports/<10**28>/` answering 500)."""

import re

import pytest
from django.urls import get_resolver

from config.converters import ID_MAX
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _routes() -> list[str]:
    """Every URL pattern of the site, as its route text from the root."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            else:
                found.append(route)

    walk(get_resolver().url_patterns, "/")
    return sorted(set(found))


ID_ROUTES = [route for route in _routes() if "<id:" in route]


def _path(route: str, number: int) -> str:
    path = re.sub(r"<id:\w+>", str(number), route)
    return re.sub(r"<\w+:\w+>", "x", path)  # any other part (a slug, a hash): some text


def test_every_url_naming_a_row_by_number_uses_the_id_converter():
    assert len(ID_ROUTES) > 60
    assert [route for route in _routes() if "<int:" in route] == []


@pytest.mark.parametrize("route", ID_ROUTES)
def test_an_id_no_row_can_have_is_a_404(client, route):
    client.force_login(UserFactory())

    too_large = client.get(_path(route, ID_MAX + 1))
    largest = client.get(_path(route, ID_MAX))

    assert too_large.status_code == 404
    assert largest.status_code < 500, largest.content[:200]  # the largest id, never issued: no error either
