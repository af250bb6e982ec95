"""Hostile input to every audit endpoint that takes a body or a query: unknown fields, wrong types,
nested junk, oversized text, NUL characters, bodies that are not objects or not JSON, huge ids. Each
is a 4xx problem that says where (a JSON Pointer), and nothing is changed: no ledger entry."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from commitments.markdown import MAX_CHARS
from commitments.models import LedgerEntry
from tests.api.audits_helpers import V1, parameters, pointers
from tests.api.world import World
from tests.api.world_audits import PAPER
from tests.audits.builders import engagement_for

pytestmark = pytest.mark.django_db


def _today() -> str:
    return timezone.localdate().isoformat()


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    role: str
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]]
    texts: tuple[str, ...]  # fields of free text


ENDPOINTS = [
    Endpoint(
        "create an engagement",
        "post",
        "admin",
        lambda w: f"{V1}/engagements/",
        lambda w: {
            "title": "Reasonable assurance",
            "firm": "Harbourside Assurance LLP",
            "standard": "ISAE 3000",
            "scope_statement": "Every mitigation.",
            "auditors": [w.users["auditor_outside"].email],
            "organisations": [w.organisation.slug],
            "periods": [w.periods["draft"].pk],
            "starts_at": timezone.now().isoformat(),
            "ends_at": (timezone.now() + datetime.timedelta(days=9)).isoformat(),
        },
        ("title", "firm", "standard", "scope_statement"),
    ),
    Endpoint(
        "declare",
        "post",
        "auditor_inside",
        lambda w: f"{V1}/engagements/{w.extra['audits_undeclared'].pk}/declaration/",
        lambda w: {"declaration": "Independent."},
        ("declaration",),
    ),
    Endpoint(
        "open a request",
        "post",
        "auditor_inside",
        lambda w: f"{V1}/engagements/{w.engagement.pk}/items/{w.extra['audits_item'].pk}/evidence-requests/",
        lambda w: {"message": "Please send it.", "due_on": _today()},
        ("message",),
    ),
    Endpoint(
        "answer a request",
        "post",
        "officer",
        lambda w: f"{V1}/evidence-requests/{w.extra['audits_request'].pk}/replies/",
        lambda w: {"message": "Here it is."},
        ("message",),
    ),
    Endpoint(
        "save a workpaper",
        "put",
        "auditor_inside",
        lambda w: f"{V1}/engagements/{w.engagement.pk}/items/{w.extra['audits_item'].pk}/workpaper/",
        lambda w: dict(PAPER),
        tuple(PAPER),
    ),
    Endpoint(
        "record a finding",
        "put",
        "auditor_inside",
        lambda w: f"{V1}/engagements/{w.engagement.pk}/items/{w.extra['audits_item'].pk}/finding/",
        lambda w: {
            "kind": "nonconformity",
            "description": "Late.",
            "recommended_action": "Staff it.",
            "corrective_action": "Staffed.",
        },
        ("description", "recommended_action", "corrective_action"),
    ),
    Endpoint(
        "respond to a finding",
        "put",
        "officer",
        lambda w: f"{V1}/findings/{w.extra['audits_finding'].pk}/response/",
        lambda w: {"company_response": "Noted."},
        ("company_response",),
    ),
    Endpoint(
        "sign an attestation",
        "post",
        "auditor_inside",
        lambda w: f"{V1}/engagements/{w.engagement.pk}/attestations/",
        lambda w: {"opinion": "qualified", "statement": "Except for …", "attested_on": _today()},
        ("statement",),
    ),
    Endpoint(
        "correct an attestation",
        "post",
        "auditor_inside",
        lambda w: f"{V1}/attestations/{w.extra['audits_attestation'].pk}/correction/",
        lambda w: {
            "opinion": "qualified",
            "statement": "Except for …",
            "attested_on": _today(),
            "reason": "Typo.",
        },
        ("statement", "reason"),
    ),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
NESTED: Any = "deep"
for _ in range(30):
    NESTED = [NESTED]
JUNK = {
    "an object": {"$gt": ""},
    "a list of objects": [{"a": {"b": ["c"]}}],
    "nested thirty deep": NESTED,
}


def _send(w: World, endpoint: Endpoint, body: Any, **kwargs):
    client = w.client(endpoint.role)
    return getattr(client, endpoint.method)(endpoint.path(w), body, **{"format": "json", **kwargs})


def _refused(response, pointer: str | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    if pointer is not None:  # the field itself, or an entry of it
        found = pointers(response)
        assert any(p == pointer or p.startswith(pointer + "/") for p in found), response.json()


@pytest.fixture
def unchanged(api_world):
    """Nothing a refused request may write; and an engagement on which `auditor_inside` has not
    declared yet, so that a declaration gets past the engagement's state to its body."""
    w = api_world
    w.extra["audits_undeclared"] = engagement_for(
        w.users["auditor_inside"],
        organisations=[w.organisation],
        periods=[w.periods["draft"]],
        admin=w.users["admin"],
        declared=False,
    )
    before = LedgerEntry.objects.count()
    yield
    assert LedgerEntry.objects.count() == before, "a refused request wrote to the ledger"


def _fields(endpoint: Endpoint, w: World) -> list[str]:
    return list(endpoint.body(w))


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", BY_NAME)
def test_an_unknown_field_is_refused_by_name(api_world, name):
    endpoint = BY_NAME[name]

    response = _send(api_world, endpoint, {**endpoint.body(api_world), "approved": True})

    _refused(response, "#/approved")
    assert response.status_code == 400


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("name", BY_NAME)
def test_every_field_given_junk_of_the_wrong_type_is_refused_on_that_field(api_world, name, junk):
    endpoint = BY_NAME[name]
    for field in _fields(endpoint, api_world):
        response = _send(api_world, endpoint, {**endpoint.body(api_world), field: JUNK[junk]})

        _refused(response, f"#/{field}")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", BY_NAME)
def test_every_text_too_long_is_refused_on_that_field(api_world, name):
    endpoint = BY_NAME[name]
    for field in endpoint.texts:
        response = _send(api_world, endpoint, {**endpoint.body(api_world), field: "x" * (MAX_CHARS + 1)})

        _refused(response, f"#/{field}")
        assert response.status_code == 400


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", BY_NAME)
def test_a_nul_character_in_any_text_is_refused(api_world, name):
    endpoint = BY_NAME[name]
    for field in endpoint.texts:
        response = _send(api_world, endpoint, {**endpoint.body(api_world), field: "before\x00after"})

        _refused(response, f"#/{field}")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", BY_NAME)
@pytest.mark.parametrize("body", [[], ["a list"], "a string", 42, None])
def test_a_body_that_is_not_an_object_is_refused(api_world, name, body):
    _refused(_send(api_world, BY_NAME[name], body))


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", BY_NAME)
@pytest.mark.parametrize(
    "raw", [b"{", b'{"a": 1, "a": 2}', b"\xff\xfe", b'{"n": NaN}', b" ", b"[" * 5000 + b"]" * 5000]
)
def test_a_body_that_is_not_json_is_refused_as_malformed(api_world, name, raw):
    endpoint = BY_NAME[name]
    client = api_world.client(endpoint.role)

    response = client.generic(
        endpoint.method.upper(), endpoint.path(api_world), raw, content_type="application/json"
    )

    _refused(response)
    assert response.json()["type"].endswith("#malformed-body")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("name", BY_NAME)
def test_a_body_over_the_limit_is_refused_unread(api_world, name):
    endpoint = BY_NAME[name]
    body = {**endpoint.body(api_world), endpoint.texts[0]: "x" * settings.API_MAX_JSON_BYTES}

    response = _send(api_world, endpoint, body)

    assert response.status_code == 413


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("periods", [2**70]),
        ("periods", [0]),
        ("periods", ["1"] * 201),
        ("auditors", ["not an email"]),
        ("auditors", ["a@example.test"] * 51),
        ("organisations", ["../../etc"]),
        ("starts_at", "9999-12-31T23:59:59-12:00"),
        ("starts_at", "yesterday"),
        ("ends_at", "2026-02-30T10:00:00Z"),
    ],
)
def test_the_lists_and_dates_of_a_new_engagement_are_checked(api_world, field, value):
    endpoint = BY_NAME["create an engagement"]

    response = _send(api_world, endpoint, {**endpoint.body(api_world), field: value})

    _refused(response)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("due_on", ["2026-13-01", "tomorrow", "9999-99-99", 20261201])
def test_a_due_date_that_is_not_a_date_is_refused(api_world, due_on):
    endpoint = BY_NAME["open a request"]

    response = _send(api_world, endpoint, {**endpoint.body(api_world), "due_on": due_on})

    _refused(response, "#/due_on")


def test_current_is_true_or_false_and_nothing_else(api_world):
    client = api_world.client("anonymous")

    answers = {
        value: client.get(f"{V1}/attestations/", {"current": value}) for value in ("null", "yes", "", "1")
    }

    assert {value: r.status_code for value, r in answers.items()} == dict.fromkeys(answers, 400)
    assert client.get(f"{V1}/attestations/", {"current": "true"}).status_code == 200


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("engagements", "period"),
        ("items", "status"),
        ("items", "verdict"),
        ("items", "finding"),
        ("evidence requests", "status"),
        ("evidence requests", "engagement"),
        ("findings", "kind"),
        ("findings", "item"),
        ("attestations", "engagement"),
    ],
)
def test_a_choice_or_an_id_sent_empty_is_refused_not_ignored(api_world, name, parameter):
    role, path, _ = LISTS[name]
    path = path or f"{V1}/engagements/{api_world.engagement.pk}/items/"

    response = api_world.client(role).get(path, {parameter: ""})

    assert response.status_code == 400
    assert parameters(response) == {parameter: "Give a value, or leave the parameter out."}


# --- queries and paths ----------------------------------------------------------------------------------

LISTS = {
    "engagements": ("admin", f"{V1}/engagements/", ("organisation", "period")),
    "items": ("auditor_inside", None, ("status", "verdict", "finding")),
    "evidence requests": ("officer", f"{V1}/evidence-requests/", ("engagement", "item", "status")),
    "findings": ("officer", f"{V1}/findings/", ("engagement", "item", "kind")),
    "attestations": ("anonymous", f"{V1}/attestations/", ("engagement", "organisation", "period", "current")),
}
HOSTILE_VALUES = [
    "abc",
    "-1",
    "0",
    str(2**70),
    "1.5",
    "<script>",
    "x" * 5000,
    "\x00",
    "' OR 1=1 --",
    "null",
    "",
]


@pytest.mark.parametrize("name", LISTS)
def test_no_filter_value_makes_a_list_fail(api_world, name):
    role, path, filters = LISTS[name]
    path = path or f"{V1}/engagements/{api_world.engagement.pk}/items/"
    client = api_world.client(role)
    for name_ in filters:
        for value in HOSTILE_VALUES:
            response = client.get(path, {name_: value})

            assert response.status_code in (200, 400), (name_, value, response.status_code)
            if response.status_code == 400:
                assert list(parameters(response)) == [name_]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"page_size": str(10**9)}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
        ({"cursor": "junk"}, "cursor"),
        ({"cursor": "x" * 4000}, "cursor"),
    ],
)
def test_paging_junk_is_a_problem_naming_the_parameter(api_world, name, query, parameter):
    role, path, _ = LISTS[name]
    path = path or f"{V1}/engagements/{api_world.engagement.pk}/items/"

    response = api_world.client(role).get(path, query)

    assert response.status_code == 400
    assert list(parameters(response)) == [parameter]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/engagements/{huge}/",
        "/api/v1/engagements/{huge}/items/",
        "/api/v1/engagements/{engagement}/items/{huge}/workpaper/",
        "/api/v1/evidence-requests/{huge}/",
        "/api/v1/evidence-requests/{request}/replies/{huge}/file/",
        "/api/v1/findings/{huge}/",
        "/api/v1/attestations/{huge}/",
    ],
)
def test_an_id_past_any_row_is_not_found(api_world, path):
    w = api_world
    url = path.format(huge=2**70, engagement=w.engagement.pk, request=w.extra["audits_request"].pk)

    response = w.client("auditor_inside").get(url)

    assert response.status_code == 404
