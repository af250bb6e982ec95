"""POST /api/v1/reports/{id}/corrections/: a program admin publishes a correction of a published
report with a reason, through the correction page's service: a new version, the old one kept."""

import pytest

from commitments.models import ItemResponse, LedgerEntry
from commitments.vocabulary import LedgerEvent
from reports.models import Publication

pytestmark = pytest.mark.django_db

REASON = "The metric was entered in the wrong unit; the company sent the right figure."


def url(report) -> str:
    return f"/api/v1/reports/{report.pk}/corrections/"


def change_published_content(report):
    # As in the correction page's tests: no service changes a published report's content yet.
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(
        status="in_progress", narrative="Only half of it is in place."
    )


@pytest.fixture
def published(api_world):
    report = api_world.report("published")
    change_published_content(report)
    return report


def versions(report) -> list[int]:
    return list(
        Publication.objects.filter(report=report).order_by("version").values_list("version", flat=True)
    )


def test_a_program_admin_publishes_a_correction_as_a_new_version(api_world, published):
    response = api_world.client("admin").post(url(published), {"reason": REASON}, format="json")

    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert (body["version"], body["supersedes_version"], body["correction_reason"]) == (2, 1, REASON)
    assert response["Location"] == f"http://testserver/api/v1/published-reports/{published.pk}/"
    assert versions(published) == [1, 2]
    entry = LedgerEntry.objects.filter(report_id=published.pk).order_by("-sequence").first()
    assert entry.event == LedgerEvent.PUBLICATION_CORRECTED
    assert REASON in entry.payload


def test_the_superseded_version_stays_as_it_was_published(api_world, published):
    first = Publication.objects.get(report=published, version=1)
    snapshot = first.snapshot

    api_world.client("admin").post(url(published), {"reason": REASON}, format="json")

    first.refresh_from_db()
    assert first.snapshot == snapshot
    old = api_world.client("anonymous").get(f"/api/v1/published-reports/{published.pk}/", {"version": 1})
    assert old.json()["is_current"] is False


def test_nothing_to_correct_is_a_400_that_says_so(api_world):
    report = api_world.report("published")

    response = api_world.client("admin").post(url(report), {"reason": REASON}, format="json")

    assert response.status_code == 400
    assert "nothing to correct" in response.json()["detail"]
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/reason"]
    assert versions(report) == [1]


@pytest.mark.parametrize("state", ["draft", "in_review", "verified"])
def test_only_a_published_report_can_be_corrected(api_world, state):
    report = api_world.report(state)

    response = api_world.client("admin").post(url(report), {"reason": REASON}, format="json")

    assert response.status_code == 409
    assert versions(report) == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("other_officer", 404),
        ("auditor_outside", 404),
        ("officer", 403),
        ("contributor", 403),
        ("own_reviewer", 403),
        ("reviewer", 403),
        ("auditor_inside", 403),
    ],
)
def test_nobody_but_a_program_admin_corrects_and_nothing_changes(api_world, published, role, status):
    response = api_world.client(role).post(url(published), {"reason": REASON}, format="json")

    assert response.status_code == status
    assert versions(published) == [1]


def test_a_retry_with_the_same_key_publishes_one_correction(api_world, published):
    client = api_world.client("admin")
    headers = {"HTTP_IDEMPOTENCY_KEY": "correct-northwind-2022-unit"}

    first = client.post(url(published), {"reason": REASON}, format="json", **headers)
    again = client.post(url(published), {"reason": REASON}, format="json", **headers)
    other = client.post(url(published), {"reason": "Another reason."}, format="json", **headers)

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert versions(published) == [1, 2]


# --- hostile bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "#/reason"),
        ({"reason": ""}, "#/reason"),
        ({"reason": "   "}, "#/reason"),
        ({"reason": None}, "#/reason"),
        ({"reason": 42}, "#/reason"),
        ({"reason": ["a", "b"]}, "#/reason"),
        ({"reason": {"text": REASON}}, "#/reason"),
        ({"reason": "nul\x00byte"}, "#/reason"),
        ({"reason": "x" * 100_000}, "#/reason"),
        ({"reason": REASON, "confirm": True}, "#/confirm"),
        ({"reason": REASON, "version": 7}, "#/version"),
    ],
)
def test_a_bad_reason_is_refused_with_a_pointer_and_nothing_published(api_world, published, body, pointer):
    response = api_world.client("admin").post(url(published), body, format="json")

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]
    assert versions(published) == [1]


@pytest.mark.parametrize("body", ["[]", '"reason"', "{", '{"reason": "a", "reason": "b"}', '{"reason": NaN}'])
def test_a_body_that_is_no_json_object_is_refused(api_world, published, body):
    response = api_world.client("admin").generic(
        "POST", url(published), body, content_type="application/json"
    )

    assert response.status_code == 400
    assert versions(published) == [1]


def test_a_form_encoded_body_is_an_unsupported_media_type(api_world, published):
    response = api_world.client("admin").post(url(published), {"reason": REASON})  # multipart

    assert response.status_code == 415
    assert versions(published) == [1]


@pytest.mark.parametrize(
    ("value", "said"), [(42, "a number"), (True, "true or false"), ([REASON], "an array"), ({}, "an object")]
)
def test_a_reason_that_is_not_text_is_told_what_it_is(api_world, published, value, said):
    response = api_world.client("admin").post(url(published), {"reason": value}, format="json")

    assert response.json()["errors"] == [
        {"pointer": "#/reason", "detail": f"Send text (a JSON string), not {said}."}
    ]
