"""Following up an attested nonconformity's corrective action in the next report, through the API:
the officer lists what the report follows up, writes the follow-up (ledgered, shown on the finding),
rewrites it; a finding the report does not follow up is not found; a stale If-Match loses nothing;
hostile bodies are refused with the field named. (Who may: tests/api/matrix/audits.py.)"""

import pytest

from api.concurrency import etag_of
from audits.models import Finding
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import LedgerEvent
from tests.api.audits_helpers import V1, ledger, pointers
from tests.audits.follow_up_fixtures import CORRECTIVE

pytestmark = pytest.mark.django_db


def _paths(world):
    report = world.report("changes_requested")
    finding = world.extra["audits_follow_up_finding"]
    return f"{V1}/reports/{report.pk}/follow-ups/", f"{V1}/reports/{report.pk}/follow-ups/{finding.pk}/"


def test_the_officer_sees_the_waiting_corrective_action_writes_and_rewrites_its_follow_up(api_world):
    officer = api_world.client("officer")
    listing, write = _paths(api_world)
    finding = api_world.extra["audits_follow_up_finding"]

    waiting = officer.get(listing)
    first = officer.put(write, {"text": "Weekend staffing started on 1 November."}, format="json")
    second = officer.put(write, {"text": "Weekend staffing started on 8 November."}, format="json")
    shown = officer.get(listing)

    assert waiting.status_code == 200
    [row] = waiting.json()
    assert (row["id"], row["kind"], row["follow_up"]) == (finding.pk, "nonconformity", None)
    assert row["corrective_action"] == CORRECTIVE
    assert first.status_code == second.status_code == 200
    assert first.json()["follow_up"]["text"] == "Weekend staffing started on 1 November."
    assert second["ETag"] == etag_of(second.json())
    assert shown.json()[0]["follow_up"]["text"] == "Weekend staffing started on 8 November."
    written = ledger(LedgerEvent.FINDING_FOLLOWED_UP)
    assert [(entry["follow_up"], entry["rewritten"]) for entry in written] == [
        ("Weekend staffing started on 1 November.", False),
        ("Weekend staffing started on 8 November.", True),
    ]


def test_a_finding_this_report_does_not_follow_up_is_not_found_like_an_unknown_id(api_world):
    officer = api_world.client("officer")
    report = api_world.report("changes_requested")
    observation = api_world.extra["audits_finding"]  # an observation of another engagement

    other = officer.put(
        f"{V1}/reports/{report.pk}/follow-ups/{observation.pk}/", {"text": "x"}, format="json"
    )
    unknown = officer.put(f"{V1}/reports/{report.pk}/follow-ups/987654/", {"text": "x"}, format="json")
    elsewhere = officer.put(
        f"{V1}/reports/{api_world.report('draft').pk}/follow-ups/{api_world.extra['audits_follow_up_finding'].pk}/",
        {"text": "x"},
        format="json",
    )

    assert other.status_code == unknown.status_code == elsewhere.status_code == 404
    assert other.json()["detail"] == unknown.json()["detail"] == elsewhere.json()["detail"]


def test_a_stale_if_match_is_412_and_the_follow_up_is_kept(api_world):
    officer = api_world.client("officer")
    listing, write = _paths(api_world)
    read = officer.get(listing).json()[0]
    officer.put(write, {"text": "Written by a colleague first."}, format="json")

    stale = officer.put(write, {"text": "Mine."}, format="json", HTTP_IF_MATCH=etag_of(read))

    assert stale.status_code == 412
    assert Finding.objects.get(pk=read["id"]).follow_up == "Written by a colleague first."


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "#/text"),
        ({"text": ""}, "#/text"),
        ({"text": "   "}, "#/text"),
        ({"text": "x" * (MAX_CHARS + 1)}, "#/text"),
        ({"text": ["a list"]}, "#/text"),
        ({"text": {"$gt": ""}}, "#/text"),
        ({"text": "fine", "followed_up_by": 1}, "#/followed_up_by"),
    ],
    ids=["missing", "empty", "blank", "too long", "a list", "an object", "an unknown field"],
)
def test_a_hostile_body_is_a_400_naming_the_field_and_nothing_is_written(api_world, body, pointer):
    _, write = _paths(api_world)

    response = api_world.client("officer").put(write, body, format="json")

    assert response.status_code == 400
    assert pointer in pointers(response)
    assert Finding.objects.get(pk=api_world.extra["audits_follow_up_finding"].pk).follow_up == ""
    assert ledger(LedgerEvent.FINDING_FOLLOWED_UP) == []
