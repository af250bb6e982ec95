"""GET /api/v1/reports/{id}/publications/: a report's published versions, for program admins, as the
correction page shows the current one."""

import pytest

from commitments.models import ItemResponse
from reports.services import publication_correct

pytestmark = pytest.mark.django_db


def url(report) -> str:
    return f"/api/v1/reports/{report.pk}/publications/"


@pytest.fixture
def corrected(api_world):
    report = api_world.report("published")
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(status="in_progress")
    publication_correct(report=report, acting_user=api_world.users["admin"], reason="Status overstated.")
    return report


def test_a_program_admin_lists_every_version_oldest_first(api_world, corrected):
    results = api_world.client("admin").get(url(corrected)).json()["results"]

    assert [(r["version"], r["is_current"], r["supersedes_version"]) for r in results] == [
        (1, False, None),
        (2, True, 1),
    ]
    assert results[1]["correction_reason"] == "Status overstated."
    assert results[0]["published_by"] == api_world.users["admin"].email
    assert results[0]["api_url"] == f"http://testserver/api/v1/published-reports/{corrected.pk}/?version=1"
    assert results[0]["url"].endswith("/v1/")


def test_a_report_not_yet_published_has_none(api_world):
    response = api_world.client("admin").get(url(api_world.report("verified")))

    assert (response.status_code, response.json()["results"]) == (200, [])


def test_the_version_filter_and_the_cursor(api_world, corrected):
    client = api_world.client("admin")

    only = client.get(url(corrected), {"version": 2}).json()["results"]
    first = client.get(url(corrected), {"page_size": 1}).json()
    second = client.get(first["next"]).json()

    assert [r["version"] for r in only] == [2]
    assert [r["version"] for r in first["results"] + second["results"]] == [1, 2]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("other_officer", 404),
        ("officer", 403),
        ("reviewer", 403),
        ("auditor_inside", 403),
    ],
)
def test_nobody_but_a_program_admin_lists_them(api_world, role, status):
    assert api_world.client(role).get(url(api_world.report("published"))).status_code == status


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"version": "two"}, "version"),
        ({"report": "1"}, "report"),
    ],
)
def test_a_bad_query_parameter_is_a_400_that_names_it(api_world, query, parameter):
    response = api_world.client("admin").get(url(api_world.report("published")), query)

    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


def test_a_made_up_cursor_is_a_400_not_a_server_error(api_world):
    response = api_world.client("admin").get(
        url(api_world.report("published")), {"cursor": "cD1hYmM="}
    )  # "p=abc"

    assert response.status_code == 400


def test_someone_who_may_not_see_the_report_gets_404_before_any_query_check(api_world):
    """A bad parameter on a report one may not see is a 404 like any other id: no hint it exists."""
    response = api_world.client("other_officer").get(url(api_world.report("published")), {"version": "two"})

    assert response.status_code == 404
