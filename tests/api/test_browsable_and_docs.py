"""The browsable API (session sign-in) and the docs: their pages, and the policy they are served under."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as directive -> sources (their order in the header is not fixed)."""
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: sources for name, *sources in parts}


def test_the_browsable_api_allows_inline_styles_only_and_scripts_only_from_the_site(client):
    client.force_login(UserFactory())

    page = client.get("/api/v1/frameworks/", HTTP_ACCEPT="text/html")

    policy = _directives(page["Content-Security-Policy"])
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


def test_json_answers_and_the_site_keep_the_strict_policy(client):
    client.force_login(UserFactory())

    for response in (client.get("/api/v1/frameworks/"), client.get("/"), client.get("/api/docs/")):
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_docs_serve_swagger_ui_from_the_site_and_the_schema_is_openapi_3_1(client):
    docs = client.get("/api/docs/").content.decode()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "<style" not in docs and "cdn" not in docs.lower()
    assert schema.status_code == 200
    assert schema.json()["openapi"] == "3.1.0"
    assert schema.json()["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
