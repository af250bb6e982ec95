"""Engagements through the API: who lists which, what an auditor sees before and after declaring
their independence, a program admin creating one with the web form's checks, and the items in an
engagement's scope with the workspace's filters."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.models import Engagement, EngagementAuditor
from audits.selectors_engagements import Filters, workspace
from commitments.vocabulary import LedgerEvent
from tests.api.audits_helpers import V1, client_for, engagement_path, ids, ledger, parameters, pointers
from tests.audits.builders import engagement_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = f"{V1}/engagements/"


def _body(w, **changes):
    now = timezone.now()
    return {
        "title": "Reasonable assurance on the 2027 report",
        "firm": "Harbourside Assurance LLP",
        "standard": "ISAE 3000 (Revised), reasonable assurance",
        "scope_statement": "Every mitigation of the period.",
        "auditors": [w.users["auditor_outside"].email],
        "organisations": [w.organisation.slug],
        "periods": [w.periods["draft"].pk],
        "starts_at": now.isoformat(),
        "ends_at": (now + datetime.timedelta(days=10)).isoformat(),
        **changes,
    }


# --- the list and one engagement -------------------------------------------------------------------


def test_an_admin_lists_every_engagement_and_an_auditor_only_their_own(api_world):
    w = api_world
    everyone = set(Engagement.objects.values_list("pk", flat=True))
    inside = {
        w.engagement.pk,
        w.extra["audits_attested_engagement"].pk,
        w.extra["audits_follow_up_finding"].engagement_id,
    }

    assert set(ids(w.client("admin").get(LIST))) == everyone
    assert set(ids(w.client("auditor_inside").get(LIST))) == inside
    assert set(ids(w.client("auditor_outside").get(LIST))) == everyone - inside


def test_the_list_is_refused_to_someone_with_no_engagement_as_the_page_is(api_world):
    response = api_world.client("officer").get(LIST)

    assert response.status_code == 403
    assert response.json()["detail"] == "This engagement is for its auditors and the program's admins."


def test_an_auditor_whose_engagement_has_ended_gets_an_empty_list_only_while_one_is_to_come(api_world):
    w = api_world
    later = timezone.now() + datetime.timedelta(days=60)
    auditor = UserFactory(platform_role="auditor")
    engagement_for(
        auditor,
        organisations=[w.organisation],
        periods=[w.periods["draft"]],
        admin=w.users["admin"],
        starts_at=later,
        ends_at=later + datetime.timedelta(days=5),
    )

    response = client_for(auditor).get(LIST)

    assert (response.status_code, response.json()["results"]) == (200, [])


def test_the_list_filters_by_organisation_and_period(api_world):
    w = api_world
    admin = w.client("admin")
    attested = w.extra["audits_attested_engagement"]

    bluefin = ids(admin.get(LIST, {"organisation": w.other_organisation.slug}))
    northwind_2022 = ids(
        admin.get(LIST, {"organisation": w.organisation.slug, "period": w.periods["published"].pk})
    )
    northwind_2027 = ids(
        admin.get(LIST, {"organisation": w.organisation.slug, "period": w.periods["draft"].pk})
    )

    assert w.engagement.pk not in bluefin and attested.pk not in bluefin and len(bluefin) == 1
    assert northwind_2022 == [w.engagement.pk]
    assert set(northwind_2027) == {w.engagement.pk, attested.pk}


def test_an_engagement_shows_its_scope_its_auditors_and_its_attestation(api_world):
    w = api_world
    attested = w.extra["audits_attested_engagement"]

    body = w.client("auditor_inside").get(engagement_path(attested)).json()

    assert body["title"] == "Limited assurance on the 2027 report"
    assert body["organisations"] == [{"slug": "northwind-models", "name": "Northwind Models"}]
    assert [p["id"] for p in body["periods"]] == [w.periods["draft"].pk]
    assert [a["email"] for a in body["auditors"]] == [w.users["auditor_inside"].email]
    assert body["your_seat"]["declared_at"] is not None and body["may_audit"] is True
    assert body["attestation"] == w.extra["audits_attestation"].pk
    assert body["scope_statement"].startswith("The organisation's reported implementation")


def test_an_admin_sees_the_engagement_but_may_not_audit_it(api_world):
    body = api_world.client("admin").get(engagement_path(api_world.engagement)).json()

    assert body["may_audit"] is False and body["your_seat"] is None and body["attestation"] is None


@pytest.fixture
def undeclared(api_world):
    auditor = UserFactory(platform_role="auditor", full_name="Nia Undeclared")
    engagement = engagement_for(
        auditor,
        api_world.users["auditor_outside"],
        organisations=[api_world.organisation],
        periods=[api_world.periods["published"]],
        admin=api_world.users["admin"],
        declared=False,
    )
    return engagement, auditor


def test_before_declaring_an_auditor_sees_the_heading_and_not_the_scope_or_the_other_auditors(undeclared):
    engagement, auditor = undeclared

    body = client_for(auditor).get(engagement_path(engagement)).json()

    assert body["title"] == engagement.title and body["standard"] == engagement.standard
    assert body["scope_statement"] is None and body["auditors"] is None
    assert body["your_seat"] == {
        "id": auditor.pk,
        "name": "Nia Undeclared",
        "email": auditor.email,
        "declared_at": None,
        "declaration": "",
    }
    assert body["may_audit"] is False


def test_before_declaring_an_auditor_cannot_open_the_items(undeclared):
    engagement, auditor = undeclared

    response = client_for(auditor).get(f"{engagement_path(engagement)}items/")

    assert response.status_code == 403


# --- a new engagement ----------------------------------------------------------------------------


def test_an_admin_creates_an_engagement_as_the_web_form_does(api_world):
    w = api_world

    response = w.client("admin").post(LIST, _body(w), format="json")

    assert response.status_code == 201
    engagement = Engagement.objects.get(pk=response.json()["id"])
    assert response["Location"] == engagement_path(engagement)
    assert list(engagement.auditors.values_list("auditor", flat=True)) == [w.users["auditor_outside"].pk]
    assert list(engagement.organisations.all()) == [w.organisation]
    assert response.json()["auditors"][0]["declared_at"] is None
    assert ledger(LedgerEvent.ENGAGEMENT_CREATED)[-1]["title"] == "Reasonable assurance on the 2027 report"


def test_each_auditor_organisation_and_period_is_taken_once_however_often_it_is_named(api_world):
    w = api_world
    body = _body(
        w,
        auditors=[w.users["auditor_outside"].email] * 3,
        organisations=[w.organisation.slug] * 2,
        periods=[w.periods["draft"].pk] * 2,
    )

    response = w.client("admin").post(LIST, body, format="json")

    assert response.status_code == 201
    assert EngagementAuditor.objects.filter(engagement_id=response.json()["id"]).count() == 1
    assert len(response.json()["periods"]) == 1


def test_the_service_refusals_come_back_on_the_fields_they_name(api_world):
    w = api_world
    member = UserFactory(platform_role="auditor", email="insider@auditors.example")
    MembershipFactory(user=member, organisation=w.organisation, role="viewer")
    starts = timezone.now()
    before = Engagement.objects.count()

    response = w.client("admin").post(
        LIST,
        _body(
            w,
            title="T" * 201,
            auditors=[member.email],
            starts_at=starts.isoformat(),
            ends_at=(starts - datetime.timedelta(hours=1)).isoformat(),
        ),
        format="json",
    )

    assert response.status_code == 400
    problems = pointers(response)
    assert problems["#/title"] == "At most 200 characters."
    assert "cannot audit their own organisation" in problems["#/auditors"]
    assert problems["#/ends_at"] == "The engagement must end after it starts."
    assert Engagement.objects.count() == before


def test_unknown_auditors_organisations_and_periods_are_named(api_world):
    w = api_world

    response = w.client("admin").post(
        LIST,
        _body(w, auditors=[w.users["officer"].email], organisations=["no-such-org"], periods=[987654]),
        format="json",
    )

    assert response.status_code == 400
    assert pointers(response) == {
        "#/auditors": f"No active auditor has this email address: {w.users['officer'].email}.",
        "#/organisations": "No such organisation: no-such-org.",
        "#/periods": "No such reporting period: 987654.",
    }


def test_an_empty_scope_is_refused_by_the_service_in_its_words(api_world):
    w = api_world

    response = w.client("admin").post(
        LIST, _body(w, auditors=[], organisations=[], periods=[]), format="json"
    )

    assert pointers(response) == {
        "#/auditors": "Choose at least one auditor.",
        "#/organisations": "Choose at least one organisation.",
        "#/periods": "Choose at least one reporting period.",
    }


def test_a_retried_create_with_its_idempotency_key_makes_one_engagement(api_world):
    w = api_world
    client = w.client("admin")
    body = _body(w)
    before = Engagement.objects.count()

    first = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    again = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    other = client.post(LIST, {**body, "title": "Another"}, format="json", HTTP_IDEMPOTENCY_KEY="create-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert other.status_code == 422
    assert Engagement.objects.count() == before + 1


def test_a_read_only_token_of_an_admin_cannot_create(api_world):
    response = client_for(api_world.users["admin"], scope="read").post(LIST, _body(api_world), format="json")

    assert response.status_code == 403


# --- the declaration -----------------------------------------------------------------------------


def test_an_auditor_declares_once_and_then_sees_the_engagement(undeclared):
    engagement, auditor = undeclared
    client = client_for(auditor)
    path = f"{engagement_path(engagement)}declaration/"

    response = client.post(path, {"declaration": "  Independent of Northwind Models.  "}, format="json")
    again = client.post(path, {"declaration": "Again."}, format="json")

    assert response.status_code == 201
    assert response.json()["declaration"] == "Independent of Northwind Models."
    assert response.json()["declared_at"] is not None
    assert ledger(LedgerEvent.INDEPENDENCE_DECLARED)[-1] == {
        "declaration": "Independent of Northwind Models."
    }
    assert again.status_code == 409
    assert again.json()["detail"] == "You have already declared your independence for this engagement."
    body = client.get(engagement_path(engagement)).json()
    assert body["scope_statement"] == engagement.scope_statement and len(body["auditors"]) == 2


def test_an_auditor_who_has_joined_an_organisation_in_scope_cannot_declare(undeclared, api_world):
    engagement, auditor = undeclared
    MembershipFactory(user=auditor, organisation=api_world.organisation, role="viewer")

    response = client_for(auditor).post(
        f"{engagement_path(engagement)}declaration/", {"declaration": "Independent."}, format="json"
    )

    assert response.status_code == 403
    assert "cannot audit their own organisation" in response.json()["detail"]
    assert EngagementAuditor.objects.get(engagement=engagement, auditor=auditor).declared_at is None


def test_a_blank_declaration_is_refused(undeclared):
    engagement, auditor = undeclared

    response = client_for(auditor).post(
        f"{engagement_path(engagement)}declaration/", {"declaration": "   "}, format="json"
    )

    assert response.status_code == 400 and "#/declaration" in pointers(response)
    assert EngagementAuditor.objects.get(engagement=engagement, auditor=auditor).declared_at is None


# --- the items in scope ----------------------------------------------------------------------------


def _all_pages(client, path, query=None):
    rows, url, query = [], path, dict(query or {}, page_size=5)
    while url:
        body = client.get(url, query).json()
        rows += body["results"]
        url, query = body["next"], None
    return rows


def _web_workspace(w, **filters):
    space = workspace(engagement=w.engagement, user=w.users["auditor_inside"], filters=Filters(**filters))
    return sorted(row.item.pk for entry in space.scope for row in entry.rows)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"finding": "observation"},
        {"finding": "none"},
        {"verdict": "verified"},
        {"status": "implemented", "finding": "none"},
        {"verdict": "not_verified"},
    ],
)
def test_the_items_are_the_workspace_pages_items_with_its_filters(api_world, filters):
    w = api_world

    rows = _all_pages(w.client("auditor_inside"), f"{engagement_path(w.engagement)}items/", filters)

    assert sorted(row["item"]["id"] for row in rows) == _web_workspace(w, **filters)


def test_each_item_carries_its_verdict_and_this_engagements_finding(api_world):
    w = api_world
    item, finding = w.extra["audits_item"], w.extra["audits_finding"]

    rows = _all_pages(w.client("auditor_inside"), f"{engagement_path(w.engagement)}items/")

    assert len(rows) == 18  # six reports of three items
    row = next(row for row in rows if row["item"]["id"] == item.pk)
    assert row["item"] == {
        "id": item.pk,
        "report": w.reports["published"].pk,
        "organisation": "northwind-models",
        "period": "2022",
        "node_id": "tiny.p1.m1",
        "code": item.node.code,
        "title": "Mitigation 1",
    }
    assert row["status"] == "implemented" and row["verdict"] == "verified"
    assert row["finding"] == {"id": finding.pk, "kind": "observation"}
    assert sum(1 for row in rows if row["finding"]) == 1  # the attested engagement's findings are its own


def test_a_filter_value_that_is_not_a_choice_is_a_400_naming_it(api_world):
    w = api_world

    response = w.client("auditor_inside").get(f"{engagement_path(w.engagement)}items/", {"verdict": "maybe"})

    assert response.status_code == 400
    assert list(parameters(response)) == ["verdict"]


def _queries(client, path, query=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, query).status_code == 200
    return len(queries)


def test_the_list_asks_as_many_queries_for_many_engagements_as_for_few(api_world):
    w = api_world
    client = w.client("admin")
    client.get(LIST)  # the token's first use of the minute is written down
    few = _queries(client, LIST)
    for n in range(4):
        engagement_for(
            UserFactory(platform_role="auditor"),
            organisations=[w.other_organisation],
            periods=[w.periods["draft"], w.periods["published"]],
            admin=w.users["admin"],
            title=f"Engagement {n}",
        )

    assert _queries(client, LIST) == few
