"""The items endpoints: a report's items with their metrics and ETags, one item read and changed
(If-Match), many changed in one request (all or nothing, per-entry if_match, per-entry errors)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import TokenScope
from commitments.models import LedgerEntry, MetricValue, ReportStatus
from commitments.services.ledger import ledger_verify
from commitments.services.reports import item_update
from tests.api.reports_builders import api_client, problem_pointers, report_of
from tests.builders import advance

pytestmark = pytest.mark.django_db


def items_of(report):
    return list(report.items.select_related("node").order_by("node__position"))


def item_url(item) -> str:
    return f"/api/v1/items/{item.pk}/"


def items_url(report) -> str:
    return f"/api/v1/reports/{report.pk}/items/"


def saved(report):
    return [(item.status, item.narrative, item.version) for item in items_of(report)]


def item_entries(report):
    return LedgerEntry.objects.filter(report_id=report.pk, event="item.updated").count()


# --- reading --------------------------------------------------------------------------------------


def test_the_list_gives_every_item_in_framework_order_with_its_metrics_and_etag(report, viewer):
    response = api_client(viewer).get(items_url(report))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["node_id"] for item in results] == ["tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"]
    assert results[0]["metrics"] == [
        {
            "key": "reports",
            "name": "Reports made",
            "unit": "count",
            "required": True,
            "requires_data_source": True,
            "value": None,
            "data_source": "",
        }
    ]
    assert results[1]["metrics"] == []
    detail = api_client(viewer).get(item_url(items_of(report)[0]))
    assert results[0]["etag"] == detail["ETag"] == detail.json()["etag"]


def test_the_list_filters_by_status_and_node_id_and_refuses_a_status_it_does_not_know(report, officer):
    first = items_of(report)[0]
    item_update(item=first, acting_user=officer, expected_version=1, status="planned")
    client = api_client(officer)

    assert [i["node_id"] for i in client.get(items_url(report), {"status": "planned"}).json()["results"]] == [
        "tiny.p1.m1"
    ]
    assert [i["id"] for i in client.get(items_url(report), {"node_id": "tiny.p1.m3"}).json()["results"]] == [
        items_of(report)[2].pk
    ]
    refused = client.get(items_url(report), {"status": "finished"})
    assert refused.status_code == 400
    assert "status" in problem_pointers(refused)


def test_an_item_shows_its_value_as_text_and_who_saved_it(report, officer):
    from commitments.services.reports import MetricInput

    first = items_of(report)[0]
    item_update(
        item=first,
        acting_user=officer,
        expected_version=1,
        metrics={"reports": MetricInput(value="12.5000", data_source="Case system")},
    )

    body = api_client(officer).get(item_url(first)).json()

    assert body["metrics"][0]["value"] == "12.5"
    assert body["updated_by"] == str(officer)
    assert body["version"] == 2


def test_the_list_and_an_item_take_a_fixed_number_of_queries(django_assert_max_num_queries):
    report, officer = report_of(21)
    client = api_client(officer)
    client.get(item_url(items_of(report)[0]))  # the token's first use is noted once

    with django_assert_max_num_queries(8):
        assert len(client.get(items_url(report)).json()["results"]) == 21


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not-a-cursor"},
        {"page_size": "x" * 5000},
        {"page_size": 10**30},
        {"page_size": -1},
        {"colour": "red"},  # a misspelt filter is refused, not ignored
    ],
)
def test_junk_query_parameters_are_400s_naming_the_parameter(report, officer, query):
    response = api_client(officer).get(items_url(report), query)

    assert response.status_code == 400, response.content
    assert set(problem_pointers(response)) == set(query)


def test_a_node_id_filter_no_item_has_finds_nothing(report, officer):
    assert api_client(officer).get(items_url(report), {"node_id": "x" * 5000}).json()["results"] == []


# --- one item -----------------------------------------------------------------------------------


def test_an_officer_changes_an_item_and_gets_it_back_with_a_new_etag(report, officer):
    first = items_of(report)[0]
    client = api_client(officer)
    before = client.get(item_url(first))

    response = client.patch(
        item_url(first),
        {
            "status": "implemented",
            "narrative": "Hash matching on every upload.",
            "metrics": {"reports": {"value": 1204, "data_source": "CyberTipline export"}},
        },
        format="json",
        HTTP_IF_MATCH=before["ETag"],
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"], body["metrics"][0]["value"]) == ("implemented", 2, "1204")
    assert response["ETag"] == body["etag"] != before["ETag"]
    entry = LedgerEntry.objects.filter(report_id=report.pk, event="item.updated").get()
    assert json.loads(entry.payload)["data"]["changes"] == {
        "status": "implemented",
        "narrative": "Hash matching on every upload.",
    }


def test_a_stale_if_match_is_412_and_changes_nothing(report, officer, contributor):
    first = items_of(report)[0]
    client = api_client(officer)
    etag = client.get(item_url(first))["ETag"]
    item_update(item=first, acting_user=contributor, expected_version=1, narrative="A colleague's words.")

    response = client.patch(item_url(first), {"narrative": "Mine."}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert "nothing was changed" in response.json()["detail"]
    assert saved(report)[0] == ("", "A colleague's words.", 2)


def test_without_if_match_the_last_change_wins_and_a_star_matches_any(report, officer, contributor):
    first = items_of(report)[0]
    item_update(item=first, acting_user=contributor, expected_version=1, narrative="A colleague's words.")
    client = api_client(officer)

    assert client.patch(item_url(first), {"narrative": "Mine."}, format="json").status_code == 200
    assert (
        client.patch(item_url(first), {"narrative": "Again."}, format="json", HTTP_IF_MATCH="*").status_code
        == 200
    )
    assert saved(report)[0][1] == "Again."


def test_invalid_fields_are_400_with_a_pointer_each_and_nothing_saved(report, officer):
    first = items_of(report)[0]

    response = api_client(officer).patch(
        item_url(first),
        {
            "narrative": "x" * 20_001,
            "metrics": {
                "reports": {"value": "lots", "data_source": "x"},
                "unknown": {"value": 1, "data_source": ""},
            },
        },
        format="json",
    )

    assert response.status_code == 400
    pointers = problem_pointers(response)
    assert set(pointers) == {"#/narrative", "#/metrics/reports", "#/metrics/unknown"}
    assert "20,000 characters" in pointers["#/narrative"]
    assert saved(report)[0] == ("", "", 1)
    assert not MetricValue.objects.exists()


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"narrative": "Fine.", "colour": "blue"}, "#/colour"),
        ({"status": "finished"}, "#/status"),
        ({"status": ["implemented"]}, "#/status"),
        ({"narrative": {"nested": ["junk"]}}, "#/narrative"),
        ({"narrative": "nul \x00 inside"}, "#/narrative"),
        ({"metrics": ["reports", 12]}, "#/metrics"),
        ({"metrics": {"reports": 12}}, "#/metrics/reports"),
        ({"metrics": {"reports": {"value": "12"}}}, "#/metrics/reports/data_source"),
        ({"metrics": {"reports": {"value": {"a": 1}, "data_source": ""}}}, "#/metrics/reports/value"),
        ({"metrics": {"reports": {"value": "1" * 101, "data_source": ""}}}, "#/metrics/reports/value"),
        ({"metrics": {"r" * 81: {"value": "1", "data_source": ""}}}, "#/metrics"),
        ({"metrics": {"reports": {"value": "1e30", "data_source": "x"}}}, "#/metrics/reports"),
        ({}, "#"),
    ],
)
def test_hostile_bodies_are_400_with_a_pointer_and_change_nothing(report, officer, body, pointer):
    first = items_of(report)[0]

    response = api_client(officer).patch(item_url(first), body, format="json")

    assert response.status_code == 400, response.content
    assert (
        pointer in problem_pointers(response)
        or pointer == "#"
        and "Nothing to change" in str(response.json())
    ), response.json()
    assert saved(report)[0] == ("", "", 1)


def test_malformed_and_oversized_bodies_are_refused_before_anything_is_read(report, officer, settings):
    first = items_of(report)[0]
    client = api_client(officer)

    malformed = client.generic(
        "PATCH", item_url(first), b'{"narrative": "unclosed', content_type="application/json"
    )
    assert malformed.status_code == 400
    assert malformed.json()["title"] == "The request body cannot be read"
    settings.API_MAX_JSON_BYTES = 1000
    huge = client.patch(item_url(first), {"narrative": "x" * 2000}, format="json")
    assert huge.status_code == 413
    listed = client.patch(item_url(first), [1, 2, 3], format="json")
    assert listed.status_code == 400
    assert saved(report)[0] == ("", "", 1)


def test_an_item_of_a_submitted_report_cannot_change(report, officer, reviewer):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    first = items_of(report)[0]

    response = api_client(officer).patch(item_url(first), {"narrative": "Late."}, format="json")

    assert response.status_code == 409
    assert "submitted" in response.json()["detail"]


def test_a_read_only_token_reads_but_cannot_change(report, officer):
    first = items_of(report)[0]
    client = api_client(officer, scope=TokenScope.READ)

    assert client.get(item_url(first)).status_code == 200
    assert client.patch(item_url(first), {"narrative": "No."}, format="json").status_code == 403
    assert saved(report)[0] == ("", "", 1)


# --- many items at once -------------------------------------------------------------------------


def test_many_items_change_in_one_request_named_by_id_or_node_id(report, officer):
    first, second, third = items_of(report)

    response = api_client(officer).patch(
        items_url(report),
        {
            "items": [
                {
                    "id": first.pk,
                    "status": "implemented",
                    "narrative": "Hash matching.",
                    "metrics": {"reports": {"value": "40", "data_source": "Case system"}},
                },
                {"node_id": "tiny.p1.m3", "status": "planned"},
                {"id": second.pk, "areas_needing_progress": "Video."},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [item["id"] for item in items] == [first.pk, third.pk, second.pk]
    assert [item["version"] for item in items] == [2, 2, 2]
    assert items[0]["metrics"][0]["value"] == "40"
    assert saved(report) == [("implemented", "Hash matching.", 2), ("", "", 2), ("planned", "", 2)]
    assert item_entries(report) == 3
    assert ledger_verify().ok


def test_one_bad_entry_refuses_them_all_with_a_pointer_per_problem(report, officer):
    first, second, third = items_of(report)

    response = api_client(officer).patch(
        items_url(report),
        {
            "items": [
                {
                    "id": first.pk,
                    "narrative": "Fine.",
                    "metrics": {"reports": {"value": "lots", "data_source": ""}},
                },
                {"id": second.pk, "narrative": "Fine too."},
                {"id": third.pk, "narrative": "y" * 20_001},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    pointers = problem_pointers(response)
    assert set(pointers) == {"#/items/0/metrics/reports", "#/items/2/narrative"}
    assert "2 of the 3 edits" in response.json()["detail"]
    assert saved(report) == [("", "", 1)] * 3
    assert item_entries(report) == 0


def test_entry_structure_problems_point_at_their_entry(report, officer, other_org):
    first, second, _ = items_of(report)

    response = api_client(officer).patch(
        items_url(report),
        {
            "items": [
                {"id": first.pk, "narrative": "Fine."},
                {"id": second.pk, "node_id": "tiny.p1.m2", "narrative": "Both names."},
                {"narrative": "No name."},
                {"id": second.pk},
                {"id": second.pk, "narrative": "Fine.", "colour": "red"},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    pointers = problem_pointers(response)
    assert set(pointers) == {"#/items/1", "#/items/2", "#/items/3", "#/items/4/colour"}
    assert "Nothing to change" in pointers["#/items/3"]


def test_unknown_repeated_and_other_reports_items_are_refused_by_entry(report, officer):
    first = items_of(report)[0]
    other, _ = report_of(2)

    response = api_client(officer).patch(
        items_url(report),
        {
            "items": [
                {"id": first.pk, "narrative": "One."},
                {"id": items_of(other)[0].pk, "narrative": "Another report's."},
                {"node_id": "tiny.p9.m9", "narrative": "No such node."},
                {"node_id": "tiny.p1.m1", "narrative": "Again."},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(problem_pointers(response)) == {"#/items/1/id", "#/items/2/node_id", "#/items/3/node_id"}
    assert saved(report)[0] == ("", "", 1)
    assert saved(other)[0] == ("", "", 1)


def test_a_stale_if_match_in_any_entry_is_412_and_saves_nothing(report, officer, contributor):
    first, second, third = items_of(report)
    client = api_client(officer)
    etags = {item["id"]: item["etag"] for item in client.get(items_url(report)).json()["results"]}
    item_update(item=second, acting_user=contributor, expected_version=1, narrative="A colleague's words.")

    response = client.patch(
        items_url(report),
        {
            "items": [
                {"id": first.pk, "if_match": etags[first.pk], "narrative": "Mine."},
                {"id": second.pk, "if_match": etags[second.pk], "narrative": "Mine too."},
                {"id": third.pk, "narrative": "Unconditional."},
            ]
        },
        format="json",
    )

    assert response.status_code == 412
    assert "#/items/1 (tiny.p1.m2)" in response.json()["detail"]
    assert "#/items/0" not in response.json()["detail"]
    assert saved(report) == [("", "", 1), ("", "A colleague's words.", 2), ("", "", 1)]


def test_current_if_matches_let_the_change_through(report, officer):
    client = api_client(officer)
    listed = client.get(items_url(report)).json()["results"]

    response = client.patch(
        items_url(report),
        {"items": [{"id": item["id"], "if_match": item["etag"], "status": "planned"} for item in listed]},
        format="json",
    )

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["items"]] == ["planned"] * 3


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"items": {"id": 1}},
        {"items": "all"},
        {},
        {"items": [{"id": 1, "narrative": "x"}], "extra": True},
        {"items": [{"id": "one", "narrative": "x"}]},
        {"items": [{"id": 10**30, "narrative": "x"}]},
        {"items": [{"id": 1, "narrative": "x", "if_match": "x" * 501}]},
        {"items": [[[[[["deep"]]]]]]},
    ],
)
def test_hostile_bulk_bodies_are_400s(report, officer, body):
    response = api_client(officer).patch(items_url(report), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"]
    assert saved(report) == [("", "", 1)] * 3


def test_more_entries_than_any_report_has_items_are_refused(report, officer):
    first = items_of(report)[0]
    entries = [{"id": first.pk, "narrative": "x"}] * 501

    response = api_client(officer).patch(items_url(report), {"items": entries}, format="json")

    assert response.status_code == 400
    assert "#/items" in problem_pointers(response)


def test_a_submitted_reports_items_cannot_change_in_bulk_either(report, officer, reviewer):
    submitted = advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    first = items_of(submitted)[0]

    response = api_client(officer).patch(
        items_url(submitted), {"items": [{"id": first.pk, "narrative": "Late."}]}, format="json"
    )

    assert response.status_code == 409


def _bulk_queries(items: int) -> tuple[int, list[str]]:
    report, officer = report_of(items, key=f"q{items}")
    client = api_client(officer)
    listed = client.get(items_url(report), {"page_size": 50}).json()["results"]  # and the token's first use
    body = {
        "items": [
            {
                "id": item["id"],
                "if_match": item["etag"],
                "status": "implemented",
                "narrative": f"Done for {item['node_id']}.",
                **(
                    {"metrics": {"reports": {"value": "7", "data_source": "Case system"}}}
                    if item["metrics"]
                    else {}
                ),
            }
            for item in listed
        ]
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(items_url(report), body, format="json")
    assert response.status_code == 200, response.content
    assert LedgerEntry.objects.filter(report_id=report.pk, event="item.updated").count() == items
    return len(queries), [query["sql"][:80] for query in queries.captured_queries]


def test_a_bulk_update_of_21_items_takes_as_many_queries_as_one_of_3(django_assert_num_queries):
    three, _ = _bulk_queries(3)
    twenty_one, listed = _bulk_queries(21)

    assert twenty_one == three, listed
    # the token, the report, the officer's memberships, the service's 17, the if_match read (3)
    # and the answer's read (3)
    assert twenty_one == 26, listed
