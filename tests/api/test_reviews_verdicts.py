"""Item verdicts through the API: recorded by the web's item_verdict_record while the report is in
review (ledgered; a later one replaces it as the one that counts), listed for everyone who may see
the report, and junk refused with nothing recorded."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import ItemVerdict, LedgerEntry
from commitments.services.reports import item_verdict_record
from commitments.vocabulary import LedgerEvent

pytestmark = pytest.mark.django_db

SEEN = {"verdict": "verified", "justification": "Policy document seen, dated 1 March 2026."}


def verdicts_url(item):
    return reverse("api:item-verdicts", args=[item.pk])


def test_a_reviewer_records_a_verdict_that_counts_and_is_ledgered(api_world):
    item = api_world.item("in_review")
    reviewer = api_world.users["reviewer"]

    response = api_world.client("reviewer").post(verdicts_url(item), SEEN, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in SEEN} == SEEN
    assert (body["item"], body["reviewer"], body["is_current"]) == (item.pk, str(reviewer), True)
    assert body["report_revision"] == api_world.report("in_review").revision
    entry = LedgerEntry.objects.filter(
        event=LedgerEvent.ITEM_VERDICT_RECORDED, subject_id=str(body["id"])
    ).get()
    assert entry.actor_id == reviewer.pk
    assert json.loads(entry.payload)["data"]["verdict"] == "verified"


def test_a_later_verdict_replaces_the_earlier_as_the_one_that_counts(api_world):
    item = api_world.item("in_review")
    client = api_world.client("reviewer")
    first = client.post(verdicts_url(item), {**SEEN, "verdict": "needs_information"}, format="json").json()
    second = client.post(verdicts_url(item), SEEN, format="json").json()

    listed = client.get(verdicts_url(item)).json()["results"]

    assert [(row["id"], row["is_current"]) for row in listed] == [(first["id"], False), (second["id"], True)]


def test_everyone_who_may_see_the_report_reads_its_verdicts(api_world):
    item = api_world.item("verified")

    response = api_world.client("viewer").get(verdicts_url(item))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == list(
        ItemVerdict.objects.filter(item=item).order_by("created_at", "pk").values_list("pk", flat=True)
    )
    assert rows[-1]["is_current"] is True


def test_verdicts_can_be_filtered_by_verdict_and_submission(api_world):
    item = api_world.item("in_review")
    client = api_world.client("reviewer")
    client.post(verdicts_url(item), {**SEEN, "verdict": "not_verified"}, format="json")
    revision = api_world.report("in_review").revision

    assert len(client.get(verdicts_url(item), {"verdict": "not_verified"}).json()["results"]) == 1
    assert client.get(verdicts_url(item), {"verdict": "verified"}).json()["results"] == []
    assert len(client.get(verdicts_url(item), {"report_revision": revision}).json()["results"]) == 1
    assert client.get(verdicts_url(item), {"report_revision": "latest"}).status_code == 400
    assert client.get(verdicts_url(item), {"report_revision": "0.5"}).status_code == 400
    assert client.get(verdicts_url(item), {"verdict": "excellent"}).status_code == 400


@pytest.mark.parametrize("state", ["draft", "submitted", "changes_requested", "verified", "published"])
def test_verdicts_are_recorded_only_while_the_report_is_in_review(api_world, state):
    item = api_world.item(state)
    before = ItemVerdict.objects.count()

    response = api_world.client("reviewer").post(verdicts_url(item), SEEN, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "Verdicts can be recorded only while the report is in review."
    assert ItemVerdict.objects.count() == before


def test_a_reviewer_of_the_organisation_cannot_judge_its_items(api_world):
    before = ItemVerdict.objects.count()

    response = api_world.client("own_reviewer").post(
        verdicts_url(api_world.item("in_review")), SEEN, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "You belong to this organisation, so you cannot review its report."
    assert ItemVerdict.objects.count() == before


def test_a_retried_verdict_with_its_key_is_recorded_once(api_world):
    item = api_world.item("in_review")
    client = api_world.client("reviewer")

    for _ in range(2):
        assert (
            client.post(verdicts_url(item), SEEN, format="json", HTTP_IDEMPOTENCY_KEY="v-1").status_code
            == 201
        )

    assert ItemVerdict.objects.filter(item=item).count() == 1


@pytest.mark.parametrize(
    ("body", "pointer", "says"),
    [
        ({**SEEN, "verdict": "excellent"}, "#/verdict", "is not a valid choice"),
        ({**SEEN, "verdict": None}, "#/verdict", "may not be null"),
        ({**SEEN, "verdict": ["verified"]}, "#/verdict", "is not a valid choice"),
        ({"justification": "Seen."}, "#/verdict", "This field is required."),
        ({**SEEN, "justification": ""}, "#/justification", "Explain the verdict."),
        ({**SEEN, "justification": "   \n"}, "#/justification", "Explain the verdict."),
        ({**SEEN, "justification": 3}, "#/justification", "Send text (a JSON string)"),
        ({**SEEN, "justification": {"text": "Seen."}}, "#/justification", "Send text (a JSON string)"),
        ({**SEEN, "justification": "j" * 20_001}, "#/justification", "limited to 20,000 characters"),
        ({**SEEN, "justification": "Seen\x00."}, "#/justification", "Null characters are not allowed."),
        ({**SEEN, "reviewer": 1}, "#/reviewer", "Unknown field"),
        ({**SEEN, "report_revision": 99}, "#/report_revision", "Unknown field"),
    ],
)
def test_junk_in_a_verdict_is_a_400_and_records_nothing(api_world, body, pointer, says):
    before = ItemVerdict.objects.count()

    response = api_world.client("reviewer").post(
        verdicts_url(api_world.item("in_review")), body, format="json"
    )

    assert response.status_code == 400, response.content
    problem = response.json()
    assert any(e["pointer"] == pointer and says in e["detail"] for e in problem["errors"]), problem
    assert ItemVerdict.objects.count() == before


def test_the_list_costs_the_same_queries_however_many_verdicts_there_are(api_world):
    item = api_world.item("in_review")
    client = api_world.client("viewer")
    client.get(verdicts_url(item))  # the token's "last used" is written on a first use

    with CaptureQueriesContext(connection) as few:
        assert client.get(verdicts_url(item)).status_code == 200
    for n in range(5):
        reviewer = api_world.users["reviewer" if n % 2 else "admin"]
        item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification=f"Seen ({n}).")
    with CaptureQueriesContext(connection) as many:
        response = client.get(verdicts_url(item))

    assert len(response.json()["results"]) == 5
    assert len(many) == len(few) <= 8
