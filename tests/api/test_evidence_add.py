"""POST /api/v1/items/{id}/evidence/: a link (JSON or multipart) or a file (multipart), added through
the web's evidence_add, ledgered, and added once however often a client retries with its key."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import reverse

from api.concurrency import etag_of
from api.models import TokenScope
from api.services import api_token_create
from commitments.models import Evidence, LedgerEntry
from commitments.vocabulary import LedgerEvent
from tests.samples import pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

POLICY = pdf_bytes("Every upload is hash-matched before it is stored.")
LINK = {
    "url": "https://example.test/policies/hash-matching",
    "title": "Hash-matching policy",
    "effective_date": "2026-03-01",
    "visibility": "public",
}


def evidence_url(item):
    return reverse("api:item-evidence", args=[item.pk])


def form(**overrides):
    fields = {"title": "Hash-matching policy", "effective_date": "2026-03-01", "visibility": "restricted"}
    fields.update(overrides)
    return fields


def added(event=LedgerEvent.EVIDENCE_ADDED):
    return LedgerEntry.objects.filter(event=event)


def post_multipart(client, url, fields, *, boundary, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        url,
        encode_multipart(boundary, fields),
        content_type=f"multipart/form-data; boundary={boundary}",
        **extra,
    )


def test_an_officer_adds_a_link_and_can_read_it_where_location_says(api_world):
    item = api_world.item("draft")
    client = api_world.client("officer")

    response = client.post(evidence_url(item), LINK, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in LINK} == LINK
    assert body["kind"] == "url"
    assert body["sha256"] == "" and body["download"] is None
    assert body["is_current"] is True and body["revision"] == 1
    assert body["created_by"] == str(api_world.users["officer"])
    assert response["ETag"] == etag_of(body)
    again = client.get(response["Location"])
    assert again.status_code == 200
    assert again.json() == body
    assert again["ETag"] == response["ETag"]


def test_adding_evidence_writes_the_services_ledger_entry_naming_the_caller(api_world):
    item = api_world.item("draft")
    before = added().count()

    response = api_world.client("contributor").post(evidence_url(item), LINK, format="json")

    assert response.status_code == 201
    assert added().count() == before + 1
    entry = added().order_by("-sequence").first()
    assert entry.actor_id == api_world.users["contributor"].pk
    assert json.loads(entry.payload)["data"]["evidence"] == response.json()["id"]


def test_a_pdf_uploaded_as_multipart_is_stored_under_its_hash_and_downloads_as_sent(api_world, media):
    item = api_world.item("draft")
    client = api_world.client("officer")

    response = client.post(
        evidence_url(item),
        form(file=SimpleUploadedFile("policy.pdf", POLICY, content_type="image/png")),
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    digest = hashlib.sha256(POLICY).hexdigest()
    assert (body["kind"], body["sha256"], body["size_bytes"]) == ("file", digest, len(POLICY))
    assert body["media_type"] == "application/pdf"  # found in the content, not the declared image/png
    assert body["original_name"] == "policy.pdf"
    assert media.names() == {f"evidence/{digest[:2]}/{digest}"}
    download = client.get(body["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == POLICY


def test_a_link_may_come_as_multipart_too(api_world):
    response = api_world.client("officer").post(
        evidence_url(api_world.item("draft")), LINK, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["url"] == LINK["url"]


def test_a_retried_upload_with_the_same_key_adds_it_once(api_world, media):
    item = api_world.item("draft")
    client = api_world.client("officer")
    before = (Evidence.objects.count(), added().count())

    def upload():
        return client.post(
            evidence_url(item),
            form(file=SimpleUploadedFile("policy.pdf", POLICY)),
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-policy-1",
        )

    first, second = upload(), upload()

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert (Evidence.objects.count(), added().count()) == (before[0] + 1, before[1] + 1)


def test_a_retry_whose_multipart_boundary_changed_is_still_the_same_upload(api_world, media):
    item = api_world.item("draft")
    client = api_world.client("officer")
    count = Evidence.objects.count()

    first = post_multipart(
        client,
        evidence_url(item),
        form(file=SimpleUploadedFile("policy.pdf", POLICY)),
        boundary="first-boundary-0001",
        key="upload-policy-2",
    )
    retry = post_multipart(
        client,
        evidence_url(item),
        form(file=SimpleUploadedFile("policy.pdf", POLICY)),
        boundary="----another-boundary-9876543210",
        key="upload-policy-2",
    )

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Evidence.objects.count() == count + 1


def test_another_file_under_the_same_key_is_refused_and_adds_nothing(api_world, media):
    item = api_world.item("draft")
    client = api_world.client("officer")
    first = client.post(
        evidence_url(item),
        form(file=SimpleUploadedFile("policy.pdf", POLICY)),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-policy-3",
    )
    stored = media.names()
    count = Evidence.objects.count()

    other = client.post(
        evidence_url(item),
        form(file=SimpleUploadedFile("policy.pdf", pdf_bytes("A different policy"))),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-policy-3",
    )

    assert first.status_code == 201
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "different request" in other.json()["detail"]
    assert Evidence.objects.count() == count
    assert media.names() == stored


def test_a_read_only_token_may_list_but_not_add(api_world):
    item = api_world.item("draft")
    token = api_token_create(user=api_world.users["officer"], name="reader", scope=TokenScope.READ).secret
    client = api_world.client("anonymous")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    count = Evidence.objects.count()

    assert client.get(evidence_url(item)).status_code == 200
    refused = client.post(evidence_url(item), LINK, format="json")

    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    assert Evidence.objects.count() == count


def test_a_viewer_is_refused_in_the_gates_words_and_nothing_is_stored(api_world, media):
    count, entries = Evidence.objects.count(), added().count()

    response = api_world.client("viewer").post(
        evidence_url(api_world.item("draft")),
        form(file=SimpleUploadedFile("policy.pdf", POLICY)),
        format="multipart",
    )

    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == "Only the organisation's officers and contributors can change its report."
    )
    assert (Evidence.objects.count(), added().count()) == (count, entries)
    assert media.names() == set()


@pytest.mark.parametrize("state", ["submitted", "in_review", "verified", "published"])
def test_evidence_cannot_be_added_once_the_report_has_left_the_officers_hands(api_world, media, state):
    count = Evidence.objects.count()

    response = api_world.client("officer").post(
        evidence_url(api_world.item(state)),
        form(file=SimpleUploadedFile("policy.pdf", POLICY)),
        format="multipart",
    )

    assert response.status_code == 409
    assert "only be added while the report is a draft or has changes requested" in response.json()["detail"]
    assert Evidence.objects.count() == count
    assert media.names() == set()


def test_evidence_may_be_added_after_a_reviewer_requested_changes(api_world):
    response = api_world.client("officer").post(
        evidence_url(api_world.item("changes_requested")), LINK, format="json"
    )

    assert response.status_code == 201
