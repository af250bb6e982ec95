"""Every list's filters read a query value one way (api/filters.py): a value sent empty, a boolean
that is not `true`/`false`, a number that is not whole, are each a 400 naming the parameter, never
the unfiltered list a script would take for the filtered one. Driven by the schema: a new list's
filters are tried without a line here."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from api.filters import EMPTY
from tests.api.audits_helpers import parameters
from tests.api.matrix import rows

pytestmark = pytest.mark.django_db

NOT_FILTERS = {"cursor", "page_size", "format"}


def _filters() -> list[tuple[object, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for row in rows():
        if row.method.upper() != "GET" or row.query is not None:
            continue
        operation = schema["paths"][row.path]["get"]
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] not in NOT_FILTERS:
                found.append((row, parameter))
    return found


FILTERS = _filters()


def _reader(row) -> str:
    """Someone the row answers with a 200."""
    return next(role for role, status in sorted(row.expect.items()) if status == 200)


def test_the_lists_have_filters_to_try():
    assert len(FILTERS) >= 20
    assert {parameter["schema"].get("type") for _, parameter in FILTERS} >= {"string", "integer", "boolean"}


@pytest.mark.parametrize(
    ("row", "parameter"), FILTERS, ids=[f"{row.id} ?{parameter['name']}" for row, parameter in FILTERS]
)
def test_a_filter_sent_empty_is_refused_naming_it(api_world, row, parameter):
    client = api_world.client(_reader(row))
    path = row.path.format(**row.params(api_world))

    response = client.get(path, {parameter["name"]: ""})

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert parameters(response) == {parameter["name"]: EMPTY}


WRONG = {"boolean": ["perhaps", "null", "1", "TRUE"], "integer": ["0.5", "1e3", "one", "9" * 30]}


@pytest.mark.parametrize(
    ("row", "parameter", "value"),
    [
        (row, parameter, value)
        for row, parameter in FILTERS
        for value in WRONG.get(parameter["schema"].get("type"), ())
    ]
    + [(row, parameter, "not-a-choice") for row, parameter in FILTERS if parameter["schema"].get("enum")],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_value_of_the_wrong_kind_is_refused_naming_the_filter(api_world, row, parameter, value):
    client = api_world.client(_reader(row))
    path = row.path.format(**row.params(api_world))

    response = client.get(path, {parameter["name"]: value})

    assert response.status_code == 400, (row.id, parameter["name"], value, response.content[:300])
    assert list(parameters(response)) == [parameter["name"]]
