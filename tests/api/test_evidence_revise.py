"""POST /api/v1/evidence/{id}/revise/: a new revision through the web's evidence_revise, the old one kept;
If-Match guards against a revision made meanwhile (412, nothing changed); refusals leave all as it was."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Evidence, LedgerEntry
from commitments.services.evidence import evidence_add
from commitments.vocabulary import LedgerEvent
from tests.samples import pdf_bytes, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def revise_url(evidence):
    return reverse("api:evidence-revise", args=[evidence.pk])


def detail_url(evidence):
    return reverse("api:evidence-detail", args=[evidence.pk])


@pytest.fixture
def link(api_world):
    return evidence_add(
        item=api_world.item("draft"),
        acting_user=api_world.users["officer"],
        title="Hash-matching policy",
        effective_date=datetime.date(2026, 3, 1),
        visibility="public",
        url="https://example.test/policies/hash-matching",
    )


def revisions():
    return LedgerEntry.objects.filter(event=LedgerEvent.EVIDENCE_REVISED)


def state():
    return (Evidence.objects.count(), LedgerEntry.objects.count())


def test_a_revision_is_a_new_row_that_supersedes_the_old_one(api_world, link):
    client = api_world.client("contributor")
    before = revisions().count()

    response = client.post(revise_url(link), {"visibility": "restricted"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != link.pk
    assert (body["revision"], body["supersedes"], body["visibility"]) == (2, link.pk, "restricted")
    assert (body["title"], body["url"]) == (link.title, link.url)  # carried over
    assert response["Location"] == detail_url(Evidence.objects.get(pk=body["id"]))
    old = client.get(detail_url(link)).json()
    assert (old["visibility"], old["superseded_by"], old["is_current"]) == ("public", body["id"], False)
    assert revisions().count() == before + 1


def test_a_link_can_be_revised_into_an_uploaded_file(api_world, link, media):
    response = api_world.client("officer").post(
        revise_url(link),
        {"file": SimpleUploadedFile("policy.pdf", pdf_bytes("The policy itself"))},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["url"]) == ("file", "")
    assert len(media.names()) == 1


def test_if_match_with_the_current_etag_lets_the_revision_through(api_world, link):
    client = api_world.client("officer")
    etag = client.get(detail_url(link))["ETag"]

    response = client.post(revise_url(link), {"title": "Renamed"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 201


def test_a_stale_if_match_is_412_and_changes_nothing(api_world, link):
    client = api_world.client("officer")
    etag = client.get(detail_url(link))["ETag"]
    assert (
        client.post(revise_url(link), {"title": "First"}, format="json", HTTP_IF_MATCH=etag).status_code
        == 201
    )
    before = state()

    response = client.post(revise_url(link), {"title": "Second"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert "changed since you read it" in response.json()["detail"]
    assert state() == before


def test_revising_a_superseded_revision_is_a_conflict(api_world, link):
    client = api_world.client("officer")
    assert client.post(revise_url(link), {"title": "First"}, format="json").status_code == 201
    before = state()

    response = client.post(revise_url(link), {"title": "Second"}, format="json")

    assert response.status_code == 409
    assert "already been revised" in response.json()["detail"]
    assert state() == before


def test_a_retried_revision_with_its_key_is_made_once(api_world, link):
    client = api_world.client("officer")

    first, retry = (
        client.post(revise_url(link), {"title": "Renamed"}, format="json", HTTP_IDEMPOTENCY_KEY="revise-1")
        for _ in range(2)
    )

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert Evidence.objects.filter(supersedes=link).count() == 1


@pytest.mark.parametrize("state_name", ["submitted", "verified"])
def test_evidence_of_a_report_out_of_the_officers_hands_cannot_be_revised(api_world, state_name):
    evidence = Evidence.objects.filter(item=api_world.item(state_name), kind="url").first()
    before = state()

    response = api_world.client("officer").post(revise_url(evidence), {"title": "Late"}, format="json")

    assert response.status_code == 409
    assert state() == before


@pytest.mark.parametrize("if_match", [None, '"stale"'], ids=["without If-Match", "with a stale If-Match"])
def test_a_viewer_may_read_evidence_but_not_revise_it(api_world, link, if_match):
    before = state()
    extra = {"HTTP_IF_MATCH": if_match} if if_match else {}

    response = api_world.client("viewer").post(
        revise_url(link), {"title": "Mine now"}, format="json", **extra
    )

    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == "Only the organisation's officers and contributors can change its report."
    )
    assert state() == before


@pytest.mark.parametrize(
    ("body", "pointer", "says"),
    [
        ({}, "#/evidence", "Nothing to revise"),
        ({"supersedes": 1}, "#/supersedes", "Unknown field"),
        ({"title": 5}, "#/title", "Send text (a JSON string)"),
        ({"title": "t" * 301}, "#/title", "Keep the title under 300 characters."),
        ({"visibility": "everyone"}, "#/visibility", "is not a valid choice"),
        ({"effective_date": "01/03/2026"}, "#/effective_date", "Date has wrong format"),
        ({"url": ""}, "#/url", "Give the new URL."),
        ({"url": "ftp://example.test/policy"}, "#/url", "starting with http:// or https://"),
        ({"url": {"href": "https://example.test"}}, "#/url", "Send text (a JSON string)"),
    ],
)
def test_junk_in_a_revision_is_a_400_and_changes_nothing(api_world, link, body, pointer, says):
    before = state()

    response = api_world.client("officer").post(revise_url(link), body, format="json")

    assert response.status_code == 400, response.content
    problem = response.json()
    assert any(e["pointer"] == pointer and says in e["detail"] for e in problem["errors"]), problem
    assert state() == before


def test_an_image_as_the_new_file_is_refused_and_nothing_is_stored(api_world, link, media):
    before = state()

    response = api_world.client("officer").post(
        revise_url(link), {"file": SimpleUploadedFile("scan.pdf", png_bytes())}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"pointer": "#/file", "detail": response.json()["detail"]},
    ]
    assert "image (PNG)" in response.json()["detail"]
    assert state() == before
    assert media.names() == set()
