"""Attestations through the API: refused until the audit is complete (saying what is missing), then
signed once, after which the work no longer changes; corrected by a new attestation that names the
old one, which stays readable; public to read, with the findings its public page shows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Attestation
from commitments.models import ReportStatus
from commitments.vocabulary import LedgerEvent
from tests.api.audits_helpers import (
    V1,
    attestation_path,
    client_for,
    engagement_path,
    ids,
    item_path,
    ledger,
    pointers,
)
from tests.api.world_audits import PAPER
from tests.audits.builders import engagement_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = f"{V1}/attestations/"


def opinion(**changes):
    return {
        "opinion": "qualified",
        "statement": "Except for the escalation times noted in our findings, nothing came to our attention.",
        "attested_on": timezone.localdate().isoformat(),
        **changes,
    }


@pytest.fixture
def audit(api_world):
    """One auditor's open engagement of Northwind's published 2022 report, nothing recorded yet."""
    w = api_world
    auditor = UserFactory(platform_role="auditor", full_name="Ada Auditor")
    engagement = engagement_for(
        auditor, organisations=[w.organisation], periods=[w.periods["published"]], admin=w.users["admin"]
    )
    items = list(w.reports["published"].items.select_related("node").order_by("node__position"))
    return engagement, auditor, items


def record_findings(engagement, auditor, items, kind="conforms"):
    for item in items:
        response = client_for(auditor).put(
            item_path(engagement, item, "finding"), {"kind": kind, "description": "Matches."}, format="json"
        )
        assert response.status_code == 201


def sign(engagement, auditor, **changes):
    return client_for(auditor).post(
        f"{engagement_path(engagement)}attestations/", opinion(**changes), format="json"
    )


# --- signing ------------------------------------------------------------------------------------------


def test_an_attestation_is_refused_while_items_have_no_finding(audit):
    engagement, auditor, items = audit
    record_findings(engagement, auditor, items[:1])

    response = sign(engagement, auditor)

    assert response.status_code == 409
    assert response.json()["detail"] == "The engagement cannot be attested yet: 2 items without a finding."
    assert not Attestation.objects.filter(engagement=engagement).exists()


def test_with_two_auditors_an_attestation_waits_for_every_workpaper_to_be_signed_off(api_world):
    w = api_world
    first, second = UserFactory(platform_role="auditor"), UserFactory(platform_role="auditor")
    engagement = engagement_for(
        first,
        second,
        organisations=[w.organisation],
        periods=[w.periods["published"]],
        admin=w.users["admin"],
    )
    items = list(w.reports["published"].items.order_by("node__position"))
    record_findings(engagement, first, items)
    for item in items:  # four eyes: every item's workpaper, prepared by one, signed off by the other
        client_for(first).put(item_path(engagement, item, "workpaper"), PAPER, format="json")
    for item in items[1:]:
        client_for(second).post(item_path(engagement, item, "workpaper") + "sign-off/")

    refused = sign(engagement, first)
    client_for(second).post(item_path(engagement, items[0], "workpaper") + "sign-off/")
    signed = sign(engagement, first)

    assert refused.status_code == 409
    assert refused.json()["detail"].endswith("1 workpaper not signed off by a second auditor.")
    assert signed.status_code == 201


def test_a_complete_audit_is_attested_once_and_its_work_no_longer_changes(audit):
    engagement, auditor, items = audit
    record_findings(engagement, auditor, items)

    response = sign(engagement, auditor)
    again = sign(engagement, auditor)
    late_finding = client_for(auditor).put(
        item_path(engagement, items[0], "finding"),
        {"kind": "observation", "description": "Late."},
        format="json",
    )
    late_paper = client_for(auditor).put(item_path(engagement, items[0], "workpaper"), PAPER, format="json")

    assert response.status_code == 201
    attestation = Attestation.objects.get(engagement=engagement)
    assert response["Location"] == attestation_path(attestation)
    body = response.json()
    assert (body["opinion"], body["current"], body["corrects"], body["auditors"]) == (
        "qualified",
        True,
        None,
        ["Ada Auditor"],
    )
    assert body["page"] == f"/audits/attestations/{attestation.pk}/"
    assert ledger(LedgerEvent.ATTESTATION_SIGNED)[-1]["opinion"] == "qualified"
    assert again.status_code == 409
    assert (late_finding.status_code, late_paper.status_code) == (409, 409)


def test_an_attestation_cannot_be_dated_in_the_future_or_hold_an_unknown_opinion(audit):
    engagement, auditor, items = audit
    record_findings(engagement, auditor, items)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    future = sign(engagement, auditor, attested_on=tomorrow)
    unknown = sign(engagement, auditor, opinion="glowing")

    assert pointers(future) == {"#/attested_on": "An attestation cannot be dated in the future."}
    assert list(pointers(unknown)) == ["#/opinion"]
    assert not Attestation.objects.filter(engagement=engagement).exists()


def test_a_retried_signature_with_its_idempotency_key_answers_the_same(audit):
    engagement, auditor, items = audit
    record_findings(engagement, auditor, items)
    client = client_for(auditor)
    path = f"{engagement_path(engagement)}attestations/"
    body = opinion()

    first = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="sign-1")
    again = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="sign-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Attestation.objects.filter(engagement=engagement).count() == 1


# --- correcting -------------------------------------------------------------------------------------


def test_a_correction_is_a_new_attestation_naming_the_one_it_replaces(api_world):
    w = api_world
    old = w.extra["audits_attestation"]
    client = w.client("auditor_inside")

    response = client.post(
        attestation_path(old, "correction"),
        opinion(opinion="adverse", reason="The statement named the wrong period."),
        format="json",
    )
    stale = client.post(attestation_path(old, "correction"), opinion(reason="Again."), format="json")

    assert response.status_code == 201
    new = Attestation.objects.get(pk=response.json()["id"])
    assert response["Location"] == attestation_path(new)
    assert (response.json()["corrects"], response.json()["opinion"]) == (old.pk, "adverse")
    assert response.json()["correction_reason"] == "The statement named the wrong period."
    public_old = client_for(None).get(attestation_path(old)).json()
    assert (public_old["current"], public_old["corrected_by"], public_old["opinion"]) == (
        False,
        new.pk,
        "unqualified",
    )
    assert ledger(LedgerEvent.ATTESTATION_SIGNED)[-1]["corrects"] == old.pk
    assert stale.status_code == 409
    assert stale.json()["detail"] == "This attestation has already been corrected; correct the latest one."


def test_a_correction_needs_a_reason(api_world):
    w = api_world

    response = w.client("auditor_inside").post(
        attestation_path(w.extra["audits_attestation"], "correction"), opinion(reason="  "), format="json"
    )

    assert response.status_code == 400 and list(pointers(response)) == ["#/reason"]
    assert Attestation.objects.filter(engagement=w.extra["audits_attested_engagement"]).count() == 1


# --- reading, publicly -------------------------------------------------------------------------------


def test_anyone_lists_the_signed_attestations_without_a_token(api_world):
    w = api_world
    attestation = w.extra["audits_attestation"]

    body = client_for(None).get(LIST).json()

    rows = {row["id"]: row for row in body["results"]}
    # the world's other attestation: of the 2023 report, whose nonconformity 2024's report follows up
    follow_up = Attestation.objects.get(engagement_id=w.extra["audits_follow_up_finding"].engagement_id)
    assert set(rows) == {attestation.pk, follow_up.pk}
    row = rows[attestation.pk]
    assert row["current"] is True
    assert row["engagement"]["title"] == "Limited assurance on the 2027 report"
    assert row["engagement"]["firm"] == "Harbourside Assurance LLP"
    assert row["organisations"] == [{"slug": "northwind-models", "name": "Northwind Models"}]
    assert row["auditors"] == [w.users["auditor_inside"].full_name]


def test_the_list_filters_current_attestations_and_by_organisation_and_period(api_world):
    w = api_world
    old = w.extra["audits_attestation"]
    new = w.client("auditor_inside").post(
        attestation_path(old, "correction"), opinion(reason="Wrong period."), format="json"
    )
    anyone = client_for(None)

    draft = {"period": w.periods["draft"].pk}  # the world's other attestation is of the 2023 report
    assert ids(anyone.get(LIST, draft)) == [new.json()["id"], old.pk]
    assert ids(anyone.get(LIST, {**draft, "current": "true"})) == [new.json()["id"]]
    assert ids(anyone.get(LIST, {"current": "false"})) == [old.pk]
    assert ids(anyone.get(LIST, {"organisation": w.other_organisation.slug})) == []
    assert ids(anyone.get(LIST, {"period": w.periods["published"].pk})) == []
    assert len(ids(anyone.get(LIST, {"period": w.periods["draft"].pk}))) == 2


def test_an_attestation_lists_only_the_findings_on_published_reports(api_world, audit):
    w = api_world
    engagement, auditor, items = audit
    record_findings(engagement, auditor, items, kind="observation")
    attestation = Attestation.objects.get(pk=sign(engagement, auditor).json()["id"])

    draft_only = client_for(None).get(attestation_path(w.extra["audits_attestation"])).json()
    published = client_for(None).get(attestation_path(attestation)).json()

    assert w.reports["published"].status == ReportStatus.PUBLISHED
    assert draft_only["findings"] == []
    assert [f["node_id"] for f in published["findings"]] == [item.node.node_id for item in items]
    first = published["findings"][0]
    assert (first["organisation"], first["period"], first["kind"]) == (
        "northwind-models",
        "2022",
        "observation",
    )
    period = w.periods["published"]
    assert first["page"] == reverse(
        "public:item", args=["northwind-models", period.framework.key, period.label, items[0].node.node_id]
    )


def test_an_unsigned_or_unknown_attestation_is_not_found(api_world):
    assert client_for(None).get(f"{LIST}987654/").status_code == 404
