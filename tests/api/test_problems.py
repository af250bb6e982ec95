"""One error format everywhere (RFC 9457), and request bodies read with limits: malformed JSON,
wrong types, unknown fields and huge or deeply nested payloads get a 400 (or 413) that says what
is wrong, and nothing is done."""

import json

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from api.models import ApiToken, TokenScope
from api.problems import PROBLEM_TYPES, pointer_errors
from api.services import api_token_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.probe_urls")]

PROBE = "/api/v1/probe/"


@pytest.fixture
def api(db):
    issued = api_token_create(user=UserFactory(), name="ci", scope=TokenScope.WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


def raw(api, body: bytes | str, content_type="application/json", **extra):
    return api.generic("POST", PROBE, body, content_type=content_type, **extra)


def assert_problem(response, status: int, slug: str, detail_part: str = ""):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].endswith(f"/api/problems/#{slug}")
    assert body["title"] == PROBLEM_TYPES[slug].title
    assert detail_part in body["detail"]
    return body


def made() -> int:
    return ApiToken.objects.count() - 1  # the caller's own token


def test_an_unknown_api_address_is_a_problem_not_an_html_page(client):
    response = client.get("/api/v1/no-such-thing/")

    assert_problem(response, 404, "not-found", "Not found")
    assert response.json()["instance"] == "/api/v1/no-such-thing/"


def test_anonymous_callers_of_a_closed_endpoint_get_401_with_the_scheme():
    response = APIClient().post(PROBE, {"name": "x"}, format="json")

    assert_problem(response, 401, "unauthenticated", "API token")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_method_is_405_with_allow(api):
    response = api.delete(PROBE)

    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response["Allow"]


def test_the_problem_types_page_lists_every_type(client):
    page = client.get("/api/problems/").content.decode()

    for slug in PROBLEM_TYPES:
        assert f'id="{slug}"' in page


def test_invalid_fields_are_listed_with_json_pointers(api):
    response = api.post(PROBE, {"name": "", "count": "many", "tags": ["ok", "x" * 21]}, format="json")

    body = assert_problem(response, 400, "invalid-request", "errors")
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {"#/name", "#/count", "#/tags/1"}
    assert made() == 0


def test_an_unknown_field_is_named_not_ignored(api):
    response = api.post(PROBE, {"name": "x", "nmae": "typo"}, format="json")

    body = assert_problem(response, 400, "invalid-request")
    assert body["errors"] == [
        {"pointer": "#/nmae", "detail": "Unknown field. Known fields: count, file, name, tags."}
    ]
    assert made() == 0


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{", "not valid JSON"),
        (b"   ", "empty"),
        (b'{"name": "a", "name": "b"}', "twice"),
        (b'{"name": NaN}', "not JSON"),
        (b'{"name": Infinity}', "not JSON"),
        (b'{"count": 1' + b"0" * 5000 + b"}", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 40 + b"]" * 40, "nested"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"a":' * 50 + b"1" + b"}" * 50, "nested"),
    ],
    ids=[
        "truncated",
        "blank",
        "duplicate-key",
        "nan",
        "infinity",
        "huge-int",
        "not-utf8",
        "deep",
        "very-deep",
        "deep-objects",
    ],
)
def test_a_malformed_body_is_a_400_that_says_why(api, body, detail):
    response = raw(api, body)

    assert_problem(response, 400, "malformed-body", detail)
    assert made() == 0


def test_an_empty_body_names_the_required_fields(api):
    response = raw(api, b"")

    body = assert_problem(response, 400, "invalid-request")
    assert {"pointer": "#/name", "detail": "This field is required."} in body["errors"]


@pytest.mark.parametrize("body", ["[]", '"name"', "42", "null", '[{"name": "x"}]'])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = raw(api, body)

    assert response.status_code == 400
    assert made() == 0


@override_settings(API_MAX_JSON_BYTES=1024)
def test_a_body_over_the_limit_is_a_413_before_it_is_read(api):
    response = raw(api, json.dumps({"name": "x" * 2000}))

    assert_problem(response, 413, "payload-too-large", "1024 bytes")
    assert made() == 0


@override_settings(API_MAX_JSON_BYTES=1024)
def test_a_body_longer_than_it_declares_is_still_cut_at_the_limit(api):
    body = json.dumps({"name": "x" * 2000}).encode()

    response = raw(api, body, CONTENT_LENGTH="10")

    assert response.status_code in (400, 413)
    assert made() == 0


def test_a_nonsense_content_length_is_a_400(api):
    response = raw(api, b'{"name": "x"}', CONTENT_LENGTH="lots")

    assert response.status_code == 400


def test_an_unsupported_media_type_is_a_415(api):
    response = raw(api, b"<name>x</name>", content_type="application/xml")

    assert_problem(response, 415, "unsupported-media-type")


def test_a_valid_body_goes_through(api):
    response = api.post(PROBE, {"name": "ok", "count": 3, "tags": ["a"]}, format="json")

    assert response.status_code == 201
    assert made() == 1


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=30,
    )
)
def test_any_json_body_gets_a_2xx_or_a_problem_never_a_server_error(api, body):
    response = api.post(PROBE, body, format="json")

    assert response.status_code < 500
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"


@given(st.binary(max_size=300))
def test_any_bytes_get_a_problem_or_a_2xx_never_a_server_error(api, body):
    response = raw(api, body)

    assert response.status_code < 500


def test_pointers_escape_slashes_and_tildes():
    assert pointer_errors({"a/b": ["bad"], "c~d": {"0": ["worse"]}}) == [
        {"pointer": "#/a~1b", "detail": "bad"},
        {"pointer": "#/c~0d/0", "detail": "worse"},
    ]
