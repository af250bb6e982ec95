"""Every endpoint of the API's schema, called as each of the ten people of the access matrix
(tests/api/matrix, tests/api/world.py), answers the status its row expects; an endpoint of the
schema without a row fails."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.matrix import Row, rows
from tests.api.world import ROLES

pytestmark = pytest.mark.django_db

ROWS = rows()
METHODS = {"get", "post", "put", "patch", "delete"}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
        if method in METHODS
    }


def test_every_endpoint_of_the_schema_has_a_row_and_every_row_an_endpoint():
    in_schema = schema_operations()
    in_matrix = {row.key for row in ROWS}

    assert sorted(in_schema - in_matrix) == [], "endpoints without a row in tests/api/matrix"
    assert sorted(in_matrix - in_schema) == [], "rows for endpoints the schema does not have"
    assert len(in_matrix) == len(ROWS), "two rows for one endpoint"


def test_every_row_names_every_person():
    for row in ROWS:
        assert set(row.expect) == set(ROLES), row.id


def _call(world, row: Row, role: str, *, params: dict | None = None):
    path = row.path.format(**(params if params is not None else row.params(world)))
    client = world.client(role)
    body = row.body(world) if row.body else None
    query = row.query(world) if row.query else None
    method = getattr(client, row.method.lower())
    if row.method.upper() == "GET":
        return method(path, query, **row.headers)
    return method(path, body, format=row.format, **row.headers)


@pytest.mark.parametrize(
    ("row", "role"),
    [(row, role) for row in ROWS for role in ROLES],
    ids=[f"{r.id} as {role}" for r in ROWS for role in ROLES],
)
def test_each_person_gets_the_status_the_matrix_expects(api_world, row, role):
    response = _call(api_world, row, role)

    expected = row.expect[role]
    assert response.status_code == expected, (
        f"{row.id} as {role}: {response.status_code}, expected {expected}: {response.content[:300]!r}"
    )
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", row.id
        assert response.json()["status"] == response.status_code


ABSENT = 987654  # no row of any kind has this id in these tests


def _absent(params: dict) -> dict:
    return {name: ABSENT if isinstance(value, int) else f"no-such-{value}" for name, value in params.items()}


@pytest.mark.parametrize("row", [row for row in ROWS if row.path.count("{")], ids=lambda row: row.id)
def test_an_unknown_id_gets_the_answer_of_an_object_not_yours(api_world, row):
    """Another organisation's officer and an anonymous caller cannot tell ids that exist from ids
    that do not: where the real object is refused as unknown, an absent one gets the same problem."""
    params = row.params(api_world)
    for role in ("other_officer", "anonymous"):
        real = _call(api_world, row, role)
        if real.status_code not in (401, 403, 404):
            continue
        absent = _call(api_world, row, role, params=_absent(params))
        assert (absent.status_code, absent.json()["detail"]) == (real.status_code, real.json()["detail"]), (
            f"{row.id} as {role}"
        )
