"""Comments and company responses through the API: the web's comment_add and company_response_add
(who may, in which state, the text limits), listed for everyone who may see the report, and junk
refused with nothing added."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import Comment, CompanyResponse, LedgerEntry
from commitments.services.reviews import comment_add, company_response_add
from commitments.vocabulary import LedgerEvent

pytestmark = pytest.mark.django_db


def comments_url(item):
    return reverse("api:item-comments", args=[item.pk])


def responses_url(item):
    return reverse("api:item-company-responses", args=[item.pk])


# --- comments --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["contributor", "officer", "reviewer", "admin"])
def test_the_reports_reviewers_and_the_organisations_editors_comment(api_world, role):
    item = api_world.item("in_review")
    entries = LedgerEntry.objects.count()

    response = api_world.client(role).post(comments_url(item), {"body": "  Which regions?  "}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["item"], body["author"], body["body"]) == (
        item.pk,
        str(api_world.users[role]),
        "Which regions?",
    )
    assert LedgerEntry.objects.count() == entries  # internal conversation: not part of what the report says


def test_everyone_who_may_see_the_report_reads_the_thread_oldest_first(api_world):
    item = api_world.item("in_review")
    api_world.client("reviewer").post(comments_url(item), {"body": "Which regions?"}, format="json")
    api_world.client("officer").post(comments_url(item), {"body": "All of them since May."}, format="json")

    response = api_world.client("auditor_inside").get(comments_url(item))

    assert response.status_code == 200
    assert [row["body"] for row in response.json()["results"]] == ["Which regions?", "All of them since May."]


def test_comments_can_be_filtered_by_time(api_world):
    item = api_world.item("in_review")
    client = api_world.client("reviewer")
    created = client.post(comments_url(item), {"body": "Which regions?"}, format="json").json()["created_at"]

    assert len(client.get(comments_url(item), {"created_at__gte": created}).json()["results"]) == 1
    assert client.get(comments_url(item), {"created_at__lt": created}).json()["results"] == []
    assert client.get(comments_url(item), {"created_at__gte": "last tuesday"}).status_code == 400


@pytest.mark.parametrize("role", ["viewer", "own_reviewer", "auditor_inside"])
def test_those_who_may_only_read_cannot_comment(api_world, role):
    before = Comment.objects.count()

    response = api_world.client(role).post(
        comments_url(api_world.item("in_review")), {"body": "Hi"}, format="json"
    )

    assert response.status_code == 403
    assert Comment.objects.count() == before


def test_the_conversation_closes_when_the_report_is_published(api_world):
    before = Comment.objects.count()

    response = api_world.client("reviewer").post(
        comments_url(api_world.item("published")), {"body": "Late"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "The report is published; its review conversation is closed."
    assert Comment.objects.count() == before


def test_a_retried_comment_with_its_key_is_added_once(api_world):
    item = api_world.item("in_review")
    client = api_world.client("officer")

    for _ in range(3):
        assert (
            client.post(
                comments_url(item), {"body": "Done."}, format="json", HTTP_IDEMPOTENCY_KEY="c-1"
            ).status_code
            == 201
        )

    assert Comment.objects.filter(item=item, body="Done.").count() == 1


# --- company responses ----------------------------------------------------------------------------


def test_an_officer_responds_beside_the_verdict_and_it_is_ledgered(api_world):
    item = api_world.item("verified")

    response = api_world.client("officer").post(
        responses_url(item), {"body": "The rollout finished in May."}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["item"], body["body"]) == (item.pk, "The rollout finished in May.")
    entry = LedgerEntry.objects.filter(
        event=LedgerEvent.ITEM_COMPANY_RESPONSE_ADDED, subject_id=str(body["id"])
    ).get()
    assert entry.actor_id == api_world.users["officer"].pk
    assert json.loads(entry.payload)["data"]["body"] == "The rollout finished in May."
    listed = api_world.client("reviewer").get(responses_url(item)).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]


@pytest.mark.parametrize("state", ["draft", "in_review", "changes_requested", "published"])
def test_a_response_is_added_only_between_verification_and_publication(api_world, state):
    before = CompanyResponse.objects.count()

    response = api_world.client("officer").post(
        responses_url(api_world.item(state)), {"body": "Reply"}, format="json"
    )

    assert response.status_code == 409
    assert CompanyResponse.objects.count() == before


@pytest.mark.parametrize("role", ["contributor", "viewer", "reviewer", "admin", "auditor_inside"])
def test_only_the_organisations_officers_respond(api_world, role):
    before = CompanyResponse.objects.count()

    response = api_world.client(role).post(
        responses_url(api_world.item("verified")), {"body": "Reply"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the organisation's compliance officers can write its response."
    assert CompanyResponse.objects.count() == before


# --- junk, for both ---------------------------------------------------------------------------------

JUNK = [
    ({}, "#/body", "This field is required."),
    ({"body": ""}, "#/body", ""),
    ({"body": " \n\t "}, "#/body", ""),
    ({"body": None}, "#/body", "may not be null"),
    ({"body": 12}, "#/body", "Send text (a JSON string)"),
    ({"body": ["a"]}, "#/body", "Send text (a JSON string)"),
    ({"body": {"$where": "1"}}, "#/body", "Send text (a JSON string)"),
    ({"body": "b" * 20_001}, "#/body", "limited to 20,000 characters"),
    ({"body": "a\x00b"}, "#/body", "Null characters are not allowed."),
    ({"body": "Hi", "author": 1}, "#/author", "Unknown field"),
]


@pytest.mark.parametrize(("body", "pointer", "says"), JUNK)
def test_junk_in_a_comment_is_a_400_and_adds_nothing(api_world, body, pointer, says):
    before = Comment.objects.count()

    response = api_world.client("officer").post(
        comments_url(api_world.item("in_review")), body, format="json"
    )

    assert response.status_code == 400, response.content
    problem = response.json()
    assert any(e["pointer"] == pointer and says in e["detail"] for e in problem["errors"]), problem
    assert Comment.objects.count() == before


@pytest.mark.parametrize(("body", "pointer", "says"), JUNK)
def test_junk_in_a_response_is_a_400_and_adds_nothing(api_world, body, pointer, says):
    before = CompanyResponse.objects.count()

    response = api_world.client("officer").post(
        responses_url(api_world.item("verified")), body, format="json"
    )

    assert response.status_code == 400, response.content
    problem = response.json()
    assert any(e["pointer"] == pointer and says in e["detail"] for e in problem["errors"]), problem
    assert CompanyResponse.objects.count() == before


def test_a_body_that_is_not_json_is_a_malformed_body(api_world):
    response = api_world.client("officer").post(
        comments_url(api_world.item("in_review")), b'{"body": "Hi",}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["type"].endswith("#malformed-body")


@pytest.mark.parametrize("kind", ["comments", "company-responses"])
def test_a_thread_costs_the_same_queries_however_long_it_is(api_world, kind):
    item = api_world.item("verified")
    url = comments_url(item) if kind == "comments" else responses_url(item)
    client = api_world.client("viewer")
    client.get(url)  # the token's "last used" is written on a first use

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(5):
        author = api_world.users["reviewer" if n % 2 else "officer"]
        if kind == "comments":
            comment_add(item=item, acting_user=author, body=f"Note {n}")
        else:
            company_response_add(item=item, acting_user=api_world.users["officer"], body=f"Reply {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.json()["results"]) == 5
    assert len(many) == len(few) <= 7
