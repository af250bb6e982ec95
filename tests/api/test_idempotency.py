"""Idempotency-Key: a retried request acts once and gets the first response again; the key with
another request is refused; failures are not kept; two racing retries act once (PostgreSQL)."""

import datetime
import re
import threading

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from api.idempotency import purge_expired
from api.models import ApiToken, IdempotentResponse, TokenScope
from api.schema import IDEMPOTENCY_KEY
from api.services import api_token_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.urls("tests.api.probe_urls")]

PROBE = "/api/v1/probe/"


def caller(user=None) -> APIClient:
    issued = api_token_create(user=user or UserFactory(), name="ci", scope=TokenScope.WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


def made(name: str) -> int:
    return ApiToken.objects.filter(name=name).count()


@pytest.mark.django_db
def test_a_retry_with_the_same_key_acts_once_and_gets_the_first_response():
    api = caller()

    first = api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert made("upload") == 1
    assert (retry.status_code, retry.json()) == (first.status_code, first.json()) == (201, first.json())
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")


@pytest.mark.django_db
def test_without_a_key_each_request_acts():
    api = caller()

    api.post(PROBE, {"name": "upload"}, format="json")
    api.post(PROBE, {"name": "upload"}, format="json")

    assert made("upload") == 2


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_and_does_nothing():
    api = caller()
    api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = api.post(PROBE, {"name": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert response.json()["type"].endswith("#idempotency-key-reused")
    assert made("other") == 0


@pytest.mark.django_db
def test_keys_belong_to_one_person():
    api, someone_else = caller(), caller()
    api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = someone_else.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")
    assert made("upload") == 2


@pytest.mark.django_db
def test_a_refused_request_is_not_kept_so_the_corrected_retry_acts():
    api = caller()

    refused = api.post(PROBE, {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert refused.status_code == 400
    assert not IdempotentResponse.objects.exists()
    fixed = api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert fixed.status_code == 201
    assert made("upload") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "a\nb", "a\x00b"])
def test_a_malformed_key_is_a_400_and_nothing_is_done(key):
    api = caller()

    response = api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "Idempotency-Key"
    assert made("upload") == 0


@pytest.mark.django_db
def test_the_schema_states_exactly_which_keys_are_accepted():
    """What the schema says of Idempotency-Key (api/schema.py) is what the server enforces, for any key."""
    rule = IDEMPOTENCY_KEY.type
    pattern = re.compile(rule["pattern"])
    api = caller()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(st.characters(max_codepoint=0x17F, exclude_categories=("Cs",)), max_size=300))
    def check(key):
        response = api.post(PROBE, {"name": "probe"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        stated = rule["minLength"] <= len(key) <= rule["maxLength"] and pattern.fullmatch(key) is not None
        assert (response.status_code == 201) == stated, (key, response.status_code)

    check()


@pytest.mark.django_db
def test_a_multipart_retry_with_a_new_boundary_is_the_same_request_but_another_file_is_not():
    api = caller()

    def upload(content: bytes):
        # The test client, like `requests`, draws a new multipart boundary for each request.
        return api.post(
            PROBE,
            {"name": "upload", "file": SimpleUploadedFile("policy.txt", content)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="k-1",
        )

    first, retry, other = upload(b"policy v1"), upload(b"policy v1"), upload(b"policy v2")

    assert (first.status_code, retry.status_code, other.status_code) == (201, 201, 422)
    assert retry["Idempotent-Replayed"] == "true"
    assert made("upload") == 1


@pytest.mark.django_db
def test_a_kept_response_is_forgotten_after_the_keeping_time():
    api = caller()
    api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, minutes=1)):
        again = api.post(PROBE, {"name": "upload"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert purge_expired() == 0  # the old row went when its key came again

    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert made("upload") == 2


@pytest.mark.django_db
def test_purging_forgets_only_expired_responses():
    api = caller()
    api.post(PROBE, {"name": "old"}, format="json", HTTP_IDEMPOTENCY_KEY="k-old")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=23)):
        api.post(PROBE, {"name": "new"}, format="json", HTTP_IDEMPOTENCY_KEY="k-new")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, minutes=1)):
        assert purge_expired() == 1

    assert list(IdempotentResponse.objects.values_list("key", flat=True)) == ["k-new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_requests_with_one_key_act_once_and_get_the_same_answer(on_postgres):
    user = UserFactory()
    clients = [caller(user), caller(user)]
    barrier = threading.Barrier(2)
    answers = [None, None]

    def send(index):
        barrier.wait()
        try:
            response = clients[index].post(
                PROBE, {"name": "race"}, format="json", HTTP_IDEMPOTENCY_KEY="k-race"
            )
            answers[index] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert made("race") == 1
    assert answers[0] == answers[1]
    assert answers[0][0] == 201


def test_the_scheduler_purges_kept_responses_hourly():
    from django.conf import settings

    from api.tasks import idempotency_purge_task

    entry = settings.CELERY_BEAT_SCHEDULE["api-idempotency-purge"]
    assert entry["task"] == idempotency_purge_task.name
    assert entry["schedule"] == 3600
