"""The reviewer's moves through the API: start the review, request changes, verify. Each is the web's
service (state guard: 409; ledger entry; the officers' email after commit), refused to a reviewer
who belongs to the organisation in the gate's words, and leaves the report as it was when refused."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from commitments.models import ChangeRequest, LedgerEntry, ProgressReport
from commitments.services.reports import item_verdict_record
from commitments.vocabulary import LedgerEvent, ReportStatus

pytestmark = pytest.mark.django_db

CONFLICT = "You belong to this organisation, so you cannot review its report."


def start_url(report):
    return reverse("api:report-review-start", args=[report.pk])


def verify_url(report):
    return reverse("api:report-verify", args=[report.pk])


def changes_url(report):
    return reverse("api:report-changes-request", args=[report.pk])


def status_of(report):
    return ProgressReport.objects.values_list("status", flat=True).get(pk=report.pk)


def entries(event):
    return LedgerEntry.objects.filter(event=event)


def every_item_judged(report, reviewer):
    for item in report.items.select_related("node"):
        item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="Seen.")


# --- start review ----------------------------------------------------------------------------------


def test_a_reviewer_starts_reviewing_a_submitted_report(api_world):
    report = api_world.report("submitted")
    reviewer = api_world.users["reviewer"]

    response = api_world.client("reviewer").post(start_url(report))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["reviewer"]) == (report.pk, "in_review", str(reviewer))
    assert status_of(report) == ReportStatus.IN_REVIEW
    entry = entries(LedgerEvent.REPORT_REVIEW_STARTED).filter(report_id=report.pk).get()
    assert entry.actor_id == reviewer.pk


def test_an_empty_json_object_is_as_good_as_no_body(api_world):
    response = api_world.client("admin").post(start_url(api_world.report("submitted")), {}, format="json")

    assert response.status_code == 200


def test_starting_a_review_already_started_is_a_conflict_and_changes_nothing(api_world):
    report = api_world.report("in_review")
    before = LedgerEntry.objects.count()

    response = api_world.client("reviewer").post(start_url(report))

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Cannot start reviewing a report that is in review; it must be submitted."
    )
    assert LedgerEntry.objects.count() == before


@pytest.mark.parametrize("url", [start_url, verify_url, changes_url], ids=["start", "verify", "changes"])
def test_a_reviewer_who_belongs_to_the_organisation_is_refused_in_the_gates_words(api_world, url):
    report = api_world.report("submitted" if url is start_url else "in_review")
    before = (status_of(report), LedgerEntry.objects.count())

    response = api_world.client("own_reviewer").post(
        url(report),
        {"items": [api_world.item("in_review").pk]} if url is changes_url else None,
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["detail"] == CONFLICT
    assert (status_of(report), LedgerEntry.objects.count()) == before


@pytest.mark.parametrize(
    "body",
    [{"reviewer": 1}, [], ["start"], "start", {"force": True}],
    ids=["unknown field", "a list", "a list of junk", "a string", "nested junk"],
)
def test_a_move_without_input_refuses_a_body_with_something_in_it(api_world, body):
    report = api_world.report("submitted")

    response = api_world.client("reviewer").post(start_url(report), body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert status_of(report) == ReportStatus.SUBMITTED


def test_a_retried_start_with_its_key_answers_as_the_first_did_not_409(api_world):
    report = api_world.report("submitted")
    client = api_world.client("reviewer")

    first = client.post(start_url(report), HTTP_IDEMPOTENCY_KEY="start-1")
    retry = client.post(start_url(report), HTTP_IDEMPOTENCY_KEY="start-1")

    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert entries(LedgerEvent.REPORT_REVIEW_STARTED).filter(report_id=report.pk).count() == 1


# --- verify ----------------------------------------------------------------------------------------


def test_a_report_with_every_verdict_is_verified_and_its_officers_told(
    api_world, django_capture_on_commit_callbacks
):
    report = api_world.report("in_review")
    every_item_judged(report, api_world.users["reviewer"])

    with django_capture_on_commit_callbacks(execute=True):
        response = api_world.client("reviewer").post(verify_url(report))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verified"
    assert response.json()["verified_at"] is not None
    assert status_of(report) == ReportStatus.VERIFIED
    assert entries(LedgerEvent.REPORT_VERIFIED).filter(report_id=report.pk).count() == 1
    assert [message.to for message in mail.outbox] == [[api_world.users["officer"].email]]


def test_verifying_with_items_unjudged_lists_each_of_them(api_world):
    report = api_world.report("in_review")
    items = list(report.items.select_related("node").order_by("node__position"))
    item_verdict_record(
        item=items[0], acting_user=api_world.users["reviewer"], verdict="verified", justification="Seen."
    )

    response = api_world.client("reviewer").post(verify_url(report))

    assert response.status_code == 400
    problem = response.json()
    assert f"{len(items) - 1} have none" in problem["detail"]
    assert {error["pointer"] for error in problem["errors"]} == {
        f"#/{item.node.node_id}" for item in items[1:]
    }
    assert status_of(report) == ReportStatus.IN_REVIEW


@pytest.mark.parametrize("state", ["draft", "submitted", "changes_requested", "verified", "published"])
def test_only_a_report_in_review_can_be_verified(api_world, state):
    report = api_world.report(state)

    response = api_world.client("reviewer").post(verify_url(report))

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Cannot verify a report that is")
    assert status_of(report) == state


# --- request changes -------------------------------------------------------------------------------


def test_changes_are_requested_on_named_items_and_the_officers_told(
    api_world, django_capture_on_commit_callbacks
):
    report = api_world.report("in_review")
    items = list(report.items.select_related("node").order_by("node__position"))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_world.client("reviewer").post(
            changes_url(report),
            {"items": [items[0].pk, items[2].pk], "message": "Attach the policy itself."},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "changes_requested"
    request = ChangeRequest.objects.get(report=report)
    assert request.node_ids == sorted([items[0].node.node_id, items[2].node.node_id])
    assert request.message == "Attach the policy itself."
    entry = entries(LedgerEvent.REPORT_CHANGES_REQUESTED).get(report_id=report.pk)
    assert json.loads(entry.payload)["data"]["items"] == request.node_ids
    assert [message.to for message in mail.outbox] == [[api_world.users["officer"].email]]
    assert "Attach the policy itself." in mail.outbox[0].body


def test_an_item_of_another_report_is_pointed_at_and_nothing_happens(api_world):
    report = api_world.report("in_review")
    own = api_world.item("in_review")
    stranger = api_world.item("submitted")

    response = api_world.client("reviewer").post(
        changes_url(report), {"items": [own.pk, stranger.pk, 987654]}, format="json"
    )

    assert response.status_code == 400
    assert [error["pointer"] for error in response.json()["errors"]] == ["#/items/1", "#/items/2"]
    assert status_of(report) == ReportStatus.IN_REVIEW
    assert not ChangeRequest.objects.filter(report=report).exists()


OWN = ["the report's own first item"]


@pytest.mark.parametrize(
    ("body", "pointer", "says"),
    [
        ({"items": []}, "#/items", "Choose items."),
        ({}, "#/items", "This field is required."),
        ({"items": "1,2"}, "#/items", 'Expected a list of items but got type "str".'),
        ({"items": [True]}, "#/items/0", "A valid integer is required."),
        ({"items": [[1]]}, "#/items/0", "A valid integer is required."),
        ({"items": [{"id": 1}]}, "#/items/0", "A valid integer is required."),
        ({"items": [-3]}, "#/items/0", "greater than or equal to 1"),
        ({"items": list(range(1, 1002))}, "#/items", "no more than 1000"),
        ({"items": OWN, "message": 42}, "#/message", "Send text (a JSON string)"),
        ({"items": OWN, "message": "m" * 20_001}, "#/message", "limited to 20,000 characters"),
        ({"items": OWN, "urgent": True}, "#/urgent", "Unknown field"),
    ],
)
def test_junk_in_a_request_for_changes_is_a_400_and_changes_nothing(api_world, body, pointer, says):
    report = api_world.report("in_review")
    if body.get("items") is OWN:
        body = {**body, "items": [api_world.item("in_review").pk]}

    response = api_world.client("reviewer").post(changes_url(report), body, format="json")

    assert response.status_code == 400, response.content
    problem = response.json()
    assert any(e["pointer"] == pointer and says in e["detail"] for e in problem["errors"]), problem
    assert status_of(report) == ReportStatus.IN_REVIEW


def test_changes_cannot_be_requested_on_a_report_not_in_review(api_world):
    report = api_world.report("submitted")

    response = api_world.client("reviewer").post(
        changes_url(report), {"items": [api_world.item("submitted").pk]}, format="json"
    )

    assert response.status_code == 409
    assert status_of(report) == ReportStatus.SUBMITTED
