"""Per-token rate limits: each token has its own bucket; past it, 429 with Retry-After; the limits
hold while the shared cache is down (counted per process, config/cache.py)."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from api.models import TokenScope
from api.services import api_token_create
from tests.config.support import dead_port, redis_cache_at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FRAMEWORKS = "/api/v1/frameworks/"


def client_with_token() -> APIClient:
    client = APIClient()
    issued = api_token_create(user=UserFactory(), name="ci", scope=TokenScope.READ)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


@override_settings(API_RATE_TOKEN="3/minute")
def test_a_token_past_its_limit_gets_429_with_retry_after_and_another_token_does_not():
    busy, other = client_with_token(), client_with_token()

    statuses = [busy.get(FRAMEWORKS).status_code for _ in range(4)]
    refused = busy.get(FRAMEWORKS)

    assert statuses == [200, 200, 200, 429]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("#rate-limited")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other.get(FRAMEWORKS).status_code == 200


@override_settings(API_RATE_ANONYMOUS="2/minute")
def test_anonymous_callers_are_limited_per_address():
    here = [APIClient().get(FRAMEWORKS, REMOTE_ADDR="198.51.100.7").status_code for _ in range(3)]
    elsewhere = APIClient().get(FRAMEWORKS, REMOTE_ADDR="203.0.113.9").status_code

    assert here == [200, 200, 429]
    assert elsewhere == 200


@override_settings(API_RATE_TOKEN="2/minute", CACHES=redis_cache_at(f"redis://127.0.0.1:{dead_port()}/1"))
def test_with_the_shared_cache_down_the_api_answers_and_the_limit_still_holds():
    client = client_with_token()

    statuses = [client.get(FRAMEWORKS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
