"""The organisations endpoints: members see their own organisations, their role in each and what
they signed; nobody else can tell an organisation from a slug never used, except a program admin,
whom the gate lets open reports for any organisation (so it is seen, and refused, 403)."""

import pytest

from tests.api.reports_builders import api_client, problem_pointers
from tests.builders import commit, small_framework
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _listed(user, query=None):
    response = api_client(user).get("/api/v1/organisations/", query or {})
    assert response.status_code == 200, response.content
    return [(o["slug"], o["role"]) for o in response.json()["results"]]


def test_members_list_their_own_organisations_with_their_role(org, other_org, officer, viewer, other_officer):
    MembershipFactory(user=viewer, organisation=other_org, role="contributor")

    assert _listed(officer) == [("northwind-models", "officer")]
    assert _listed(viewer) == [("bluefin-labs", "contributor"), ("northwind-models", "viewer")]
    assert _listed(other_officer) == [("bluefin-labs", "officer")]
    assert _listed(viewer, {"slug": "bluefin-labs"}) == [("bluefin-labs", "contributor")]


def test_program_staff_and_auditors_list_no_organisation(org, reviewer, program_admin, auditor):
    assert _listed(reviewer) == _listed(program_admin) == _listed(auditor) == []


def test_an_organisation_reads_by_slug_for_its_members(org, contributor):
    response = api_client(contributor).get(f"/api/v1/organisations/{org.slug}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": org.pk,
        "slug": "northwind-models",
        "name": "Northwind Models",
        "website": "",
        "description": "",
        "role": "contributor",
    }


def test_others_cannot_tell_an_organisation_from_a_slug_never_used(org, other_officer, reviewer):
    for person in (other_officer, reviewer):
        real = api_client(person).get(f"/api/v1/organisations/{org.slug}/")
        absent = api_client(person).get("/api/v1/organisations/no-such-lab/")
        assert real.status_code == absent.status_code == 404
        assert real.json()["detail"] == absent.json()["detail"]


def test_a_program_admin_is_told_they_do_not_belong(org, program_admin):
    response = api_client(program_admin).get(f"/api/v1/organisations/{org.slug}/commitments/")

    assert response.status_code == 403
    assert response.json()["detail"] == "You do not belong to this organisation."


def test_its_commitments_list_what_it_signed(org, framework, viewer):
    second = small_framework(key="second")
    commit(org, second)

    response = api_client(viewer).get(f"/api/v1/organisations/{org.slug}/commitments/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["framework"]["key"] for c in results] == ["tiny", "second"]
    assert results[0] | {"id": 0} == {
        "id": 0,
        "framework": {"id": framework.pk, "key": "tiny", "version": "1.0"},
        "signed_on": "2024-04-23",
        "signatory": "A. Signatory, Chief Executive",
        "statement_url": "https://example.test/statement",
        "cadence": "annual",
    }
    refused = api_client(viewer).get(f"/api/v1/organisations/{org.slug}/commitments/", {"cadence": "weekly"})
    assert refused.status_code == 400
    assert "cadence" in problem_pointers(refused)


def test_the_list_takes_a_fixed_number_of_queries(framework, officer, django_assert_max_num_queries):
    from tests.factories import OrganisationFactory

    for _ in range(15):
        MembershipFactory(user=officer, organisation=OrganisationFactory(), role="viewer")
    client = api_client(officer)
    client.get("/api/v1/periods/")  # the token's first use is noted once

    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/organisations/").json()["results"]) == 16


@pytest.mark.parametrize("slug", ["x" * 3000, "..%2F..", "northwind-models%00", "%F0%9F%92%A9"])
def test_odd_slugs_are_not_found(org, officer, slug):
    response = api_client(officer).get(f"/api/v1/organisations/{slug}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
