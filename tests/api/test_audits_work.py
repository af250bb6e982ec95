"""Workpapers and findings through the API: read with an ETag, saved with If-Match (a stale one gets
412 and changes nothing), signed off by a second auditor, recorded and answered by the company; who
reads which finding; and nothing changes once the engagement is attested."""

import pytest

from audits.models import Finding, Workpaper
from commitments.models import LedgerEntry
from commitments.vocabulary import FindingKind, LedgerEvent
from tests.api.audits_helpers import V1, client_for, finding_path, ids, item_path, ledger, pointers
from tests.api.world_audits import PAPER
from tests.audits.builders import engagement_for
from tests.audits.follow_up_fixtures import FOLLOW_UP, audit_and_attest, follow_up
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FINDINGS = f"{V1}/findings/"


def _second_item(w):
    return w.reports["published"].items.select_related("node").order_by("node__position")[1]


# --- workpapers --------------------------------------------------------------------------------------


def test_a_workpaper_is_read_with_its_etag(api_world):
    w = api_world
    item = w.extra["audits_item"]

    response = w.client("auditor_inside").get(item_path(w.engagement, item, "workpaper"))

    assert response.status_code == 200 and response["ETag"].startswith('"')
    body = response.json()
    assert {name: body[name] for name in PAPER} == PAPER
    assert body["prepared_by"]["id"] == w.users["auditor_inside"].pk and body["reviewed_by"] is None
    assert body["item"]["id"] == item.pk and body["engagement"] == w.engagement.pk


def test_an_item_without_a_workpaper_has_none_to_read_or_sign_off(api_world):
    w = api_world
    client, path = w.client("auditor_inside"), item_path(w.engagement, _second_item(w), "workpaper")

    read, sign_off = client.get(path), client.post(path + "sign-off/")
    client.put(path, PAPER, format="json")

    assert (read.status_code, sign_off.status_code) == (404, 404)
    assert client.get(path).status_code == 200


def test_saving_with_the_current_etag_replaces_the_workpaper(api_world):
    w = api_world
    client = w.client("auditor_inside")
    path = item_path(w.engagement, w.extra["audits_item"], "workpaper")
    etag = client.get(path)["ETag"]

    response = client.put(
        path, {**PAPER, "result": "Two of three within 24 hours."}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert response.json()["result"] == "Two of three within 24 hours."
    assert response["ETag"] not in (etag, None) and response["ETag"] == client.get(path)["ETag"]
    assert ledger(LedgerEvent.WORKPAPER_SAVED)[-1]["result"] == "Two of three within 24 hours."


def test_saving_with_a_stale_etag_is_refused_and_changes_nothing(api_world):
    w = api_world
    client = w.client("auditor_inside")
    path = item_path(w.engagement, w.extra["audits_item"], "workpaper")
    stale = client.get(path)["ETag"]
    client.put(path, {**PAPER, "sample": "Cases 17 and 203."}, format="json", HTTP_IF_MATCH=stale)
    entries = LedgerEntry.objects.count()

    response = client.put(path, {**PAPER, "sample": "Case 388."}, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert response.json()["type"].endswith("#precondition-failed")
    assert Workpaper.objects.get(pk=w.extra["audits_workpaper"].pk).sample == "Cases 17 and 203."
    assert LedgerEntry.objects.count() == entries


def test_a_new_workpaper_is_created_with_its_location(api_world):
    w = api_world
    item = _second_item(w)
    path = item_path(w.engagement, item, "workpaper")

    response = w.client("auditor_inside").put(path, PAPER, format="json")

    assert response.status_code == 201
    assert response["Location"] == path and response["ETag"]
    assert Workpaper.objects.filter(engagement=w.engagement, item=item).exists()


def test_if_match_on_a_workpaper_not_yet_written_is_refused(api_world):
    w = api_world
    item = _second_item(w)

    response = w.client("auditor_inside").put(
        item_path(w.engagement, item, "workpaper"), PAPER, format="json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 412
    assert not Workpaper.objects.filter(engagement=w.engagement, item=item).exists()


def test_a_blank_field_of_a_workpaper_is_refused_on_that_field(api_world):
    w = api_world

    response = w.client("auditor_inside").put(
        item_path(w.engagement, w.extra["audits_item"], "workpaper"),
        {**PAPER, "conclusion": " "},
        format="json",
    )

    assert response.status_code == 400 and list(pointers(response)) == ["#/conclusion"]


def test_an_item_of_another_organisation_or_engagement_is_not_found(api_world):
    w = api_world
    client = w.client("auditor_inside")
    bluefin_item = w.extra["bluefin_report"].items.first()
    attested = w.extra["audits_attested_engagement"]

    elsewhere = client.put(item_path(w.engagement, bluefin_item, "workpaper"), PAPER, format="json")
    other_scope = client.put(item_path(attested, w.extra["audits_item"], "workpaper"), PAPER, format="json")

    assert (elsewhere.status_code, other_scope.status_code) == (404, 404)


@pytest.fixture
def pair(api_world):
    """Two auditors on one engagement of Northwind's 2022 report, a workpaper by the first."""
    w = api_world
    first, second = UserFactory(platform_role="auditor"), UserFactory(platform_role="auditor")
    engagement = engagement_for(
        first,
        second,
        organisations=[w.organisation],
        periods=[w.periods["published"]],
        admin=w.users["admin"],
    )
    item = w.extra["audits_item"]
    client_for(first).put(item_path(engagement, item, "workpaper"), PAPER, format="json")
    return engagement, item, first, second


def test_a_second_auditor_signs_off_the_workpaper_once(pair):
    engagement, item, first, second = pair
    path = item_path(engagement, item, "workpaper") + "sign-off/"

    by_preparer = client_for(first).post(path)
    signed = client_for(second).post(path)
    again = client_for(second).post(path)

    assert by_preparer.status_code == 403
    assert by_preparer.json()["detail"] == (
        "You prepared this workpaper; another auditor of the engagement signs it off."
    )
    assert signed.status_code == 200 and signed.json()["reviewed_by"]["id"] == second.pk
    assert signed["ETag"]
    assert ledger(LedgerEvent.WORKPAPER_SIGNED_OFF)[-1]["prepared_by"] == first.pk
    assert again.status_code == 409


def test_changing_a_signed_off_workpaper_clears_its_sign_off(pair):
    engagement, item, first, second = pair
    path = item_path(engagement, item, "workpaper")
    client_for(second).post(path + "sign-off/")

    changed = client_for(first).put(path, {**PAPER, "result": "Changed."}, format="json")

    assert changed.json()["reviewed_by"] is None
    assert ledger(LedgerEvent.WORKPAPER_SAVED)[-1]["sign_off_cleared"] is True


def test_a_sign_off_with_a_stale_etag_is_refused(pair):
    engagement, item, first, second = pair
    path = item_path(engagement, item, "workpaper")
    stale = client_for(second).get(path)["ETag"]
    client_for(first).put(path, {**PAPER, "result": "Changed."}, format="json")

    response = client_for(second).post(path + "sign-off/", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert Workpaper.objects.get(engagement=engagement, item=item).reviewed_by is None


# --- findings ---------------------------------------------------------------------------------------


def test_the_officers_and_the_engagements_auditor_list_its_findings_and_nobody_else(api_world):
    w = api_world
    northwind = set(
        Finding.objects.filter(item__report__organisation=w.organisation).values_list("pk", flat=True)
    )

    # the open engagement's observation, the attested ones' three each (tests/api/world_audits.py)
    assert len(northwind) == 7
    for role in ("officer", "auditor_inside"):
        assert set(ids(w.client(role).get(FINDINGS))) == northwind, role
    for role in (
        "other_officer",
        "contributor",
        "viewer",
        "own_reviewer",
        "reviewer",
        "auditor_outside",
        "admin",
    ):
        assert ids(w.client(role).get(FINDINGS)) == [], role


def test_the_findings_filter_by_engagement_kind_and_item(api_world):
    w = api_world
    client, finding = w.client("officer"), w.extra["audits_finding"]

    assert ids(client.get(FINDINGS, {"engagement": w.engagement.pk})) == [finding.pk]
    assert ids(client.get(FINDINGS, {"item": w.extra["audits_item"].pk})) == [finding.pk]
    # the 2023 report's attested engagement has an observation and a nonconformity, the others conform
    follow_up = w.extra["audits_follow_up_finding"]
    observations = ids(client.get(FINDINGS, {"kind": "observation"}))
    assert finding.pk in observations and len(observations) == 2
    assert ids(client.get(FINDINGS, {"kind": "nonconformity"})) == [follow_up.pk]
    assert len(ids(client.get(FINDINGS, {"kind": "conforms"}))) == 4


def test_a_finding_reads_the_same_to_the_officer_and_the_auditor(api_world):
    w = api_world
    finding = w.extra["audits_finding"]

    officer = w.client("officer").get(finding_path(finding))
    auditor = w.client("auditor_inside").get(finding_path(finding))

    assert officer.json() == auditor.json() and officer["ETag"] == auditor["ETag"]
    body = officer.json()
    assert (body["kind"], body["attested"], body["company_response"]) == ("observation", False, "")
    assert body["description"] == "The escalation log does not name who closed each case."


def test_an_auditor_records_a_finding_and_replaces_it(api_world):
    w = api_world
    client = w.client("auditor_inside")
    item = _second_item(w)
    path = item_path(w.engagement, item, "finding")

    created = client.put(path, {"kind": "conforms", "description": "Matches."}, format="json")
    replaced = client.put(
        path,
        {"kind": "nonconformity", "description": "Late.", "recommended_action": "Staff the queue."},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert created.status_code == 201
    assert created["Location"] == finding_path(Finding.objects.get(engagement=w.engagement, item=item))
    assert replaced.status_code == 200 and replaced.json()["kind"] == "nonconformity"
    assert replaced.json()["recommended_action"] == "Staff the queue."
    assert [e["kind"] for e in ledger(LedgerEvent.FINDING_RECORDED)[-2:]] == ["conforms", "nonconformity"]


def test_a_nonconformity_needs_a_recommended_action(api_world):
    w = api_world

    response = w.client("auditor_inside").put(
        item_path(w.engagement, w.extra["audits_item"], "finding"),
        {"kind": "nonconformity", "description": "Late."},
        format="json",
    )

    assert response.status_code == 400
    assert pointers(response) == {"#/recommended_action": "A nonconformity needs a recommended action."}
    assert Finding.objects.get(pk=w.extra["audits_finding"].pk).kind == FindingKind.OBSERVATION


def test_a_finding_of_an_attested_engagement_no_longer_changes(api_world):
    w = api_world
    attested = w.extra["audits_attested_engagement"]
    item = w.reports["draft"].items.order_by("node__position").first()

    response = w.client("auditor_inside").put(
        item_path(attested, item, "finding"), {"kind": "observation", "description": "Later."}, format="json"
    )

    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "This engagement is attested: its workpapers and findings no longer change."
    )


def test_a_stale_if_match_on_a_finding_is_refused(api_world):
    w = api_world
    client = w.client("auditor_inside")
    finding = w.extra["audits_finding"]
    stale = client.get(finding_path(finding))["ETag"]
    w.client("officer").put(finding_path(finding, "response"), {"company_response": "Noted."}, format="json")

    response = client.put(
        item_path(w.engagement, w.extra["audits_item"], "finding"),
        {"kind": "conforms", "description": "Fine after all."},
        format="json",
        HTTP_IF_MATCH=stale,
    )

    assert response.status_code == 412
    assert Finding.objects.get(pk=finding.pk).kind == FindingKind.OBSERVATION


# --- the company's response ------------------------------------------------------------------------


def test_an_officer_responds_to_a_finding(api_world):
    w = api_world
    finding = w.extra["audits_finding"]
    client = w.client("officer")
    etag = client.get(finding_path(finding))["ETag"]

    response = client.put(
        finding_path(finding, "response"),
        {"company_response": "Case closers are named from November."},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200
    assert response.json()["company_response"] == "Case closers are named from November."
    assert response["ETag"] == w.client("auditor_inside").get(finding_path(finding))["ETag"] != etag
    entry = ledger(LedgerEvent.FINDING_RECORDED)[-1]
    assert (entry["part"], entry["company_response"]) == (
        "company_response",
        "Case closers are named from November.",
    )


def test_a_response_with_a_stale_etag_is_refused(api_world):
    w = api_world
    finding = w.extra["audits_finding"]
    stale = w.client("officer").get(finding_path(finding))["ETag"]
    w.client("auditor_inside").put(
        item_path(w.engagement, w.extra["audits_item"], "finding"),
        {"kind": "observation", "description": "Reworded."},
        format="json",
    )

    response = w.client("officer").put(
        finding_path(finding, "response"), {"company_response": "Noted."}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert Finding.objects.get(pk=finding.pk).company_response == ""


def test_there_is_nothing_to_respond_to_when_the_item_conforms_or_the_engagement_is_attested(api_world):
    w = api_world
    attested_finding = Finding.objects.filter(engagement=w.extra["audits_attested_engagement"]).first()
    w.client("auditor_inside").put(
        item_path(w.engagement, w.extra["audits_item"], "finding"),
        {"kind": "conforms", "description": "Fine after all."},
        format="json",
    )
    client = w.client("officer")

    conforms = client.put(
        finding_path(w.extra["audits_finding"], "response"), {"company_response": "Hi."}, format="json"
    )
    attested = client.put(
        finding_path(attested_finding, "response"), {"company_response": "Hi."}, format="json"
    )

    assert conforms.status_code == 409
    assert (
        conforms.json()["detail"] == "The auditor found this item conforms; there is nothing to respond to."
    )
    assert attested.status_code == 409
    assert (
        attested.json()["detail"]
        == "The engagement is attested: the company's response can no longer change."
    )


def test_an_auditor_cannot_write_the_companys_response(api_world):
    w = api_world

    response = w.client("auditor_inside").put(
        finding_path(w.extra["audits_finding"], "response"), {"company_response": "Me."}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the organisation's compliance officers can write its response."


def test_a_followed_up_corrective_action_shows_with_its_finding(api_world):
    w = api_world
    auditor = UserFactory(platform_role="auditor")
    engagement = engagement_for(
        auditor, organisations=[w.organisation], periods=[w.periods["submitted"]], admin=w.users["admin"]
    )
    items = list(w.reports["submitted"].items.select_related("node", "report").order_by("node__position"))
    audited = audit_and_attest(engagement, items, auditor)
    before = w.client("officer").get(finding_path(audited.nonconformity)).json()
    follow_up(audited.nonconformity, w.reports["draft"], w.users["officer"])

    after = w.client("officer").get(finding_path(audited.nonconformity)).json()

    assert before["follow_up"] is None and before["attested"] is True
    assert after["follow_up"]["report"] == w.reports["draft"].pk
    assert after["follow_up"]["text"] == FOLLOW_UP
    assert after["follow_up"]["by"]["id"] == w.users["officer"].pk
