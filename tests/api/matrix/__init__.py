"""The API's access matrix (issue 15, item 5): for every endpoint in the schema, the status each of
the ten people of tests/api/world.py gets.

Each module of this package holds the rows of one area (`ROWS`); tests/api/test_access_matrix.py
collects every module, fails for an endpoint of the schema without a row (and a row without an
endpoint), and calls each row as each person.

A row names the schema's path template and method, how to fill the path from the world, the body
to send (a function of the world, so that it can name ids), and the expected status per person.
`expect()` spells the usual shapes: who succeeds, who gets the object as unknown (404), who may
see it but not act (403). A person missing from a row's expectations is a mistake, not a default.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.api.world import ROLES, World

ALL = frozenset(ROLES)
MEMBERS = frozenset({"contributor", "viewer", "officer", "own_reviewer"})  # own_reviewer is a viewer member
SIGNED_IN = ALL - {"anonymous"}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the schema's template, e.g. "/api/v1/reports/{id}/submit/"
    expect: dict[str, int]
    params: Callable[[World], dict[str, Any]] = lambda w: {}
    body: Callable[[World], Any] | None = None
    format: str = "json"  # or "multipart"
    query: Callable[[World], dict[str, Any]] | None = None
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method.upper(), self.path)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def expect(
    ok: int,
    allowed: Iterable[str],
    *,
    forbidden: Iterable[str] = (),
    anonymous: int = 401,
    refused: int = 404,
) -> dict[str, int]:
    """`ok` for `allowed`, 403 for `forbidden` (may see, may not act), 401 for anonymous (unless
    allowed, or given), `refused` (404: as unknown) for everyone else."""
    allowed, forbidden = set(allowed), set(forbidden)
    unknown = (allowed | forbidden) - ALL
    if unknown:
        raise ValueError(f"no such people in the matrix: {sorted(unknown)}")
    result = {}
    for role in ROLES:
        if role in allowed:
            result[role] = ok
        elif role in forbidden:
            result[role] = 403
        elif role == "anonymous":
            result[role] = anonymous
        else:
            result[role] = refused
    return result


def rows() -> list[Row]:
    found: list[Row] = []
    for module in pkgutil.iter_modules(__path__):
        found += importlib.import_module(f"{__name__}.{module.name}").ROWS
    return found
