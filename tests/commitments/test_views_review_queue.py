import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from commitments.models import ReportStatus
from commitments.services.reports import report_create, report_review_start
from tests.builders import advance, period_for
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("commitments:review_queue")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("who", ["officer", "other_officer", "viewer", "contributor"])
def test_organisation_members_who_are_not_reviewers_get_403(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(QUEUE).status_code == 403


def test_it_lists_submitted_and_in_review_reports_oldest_first(
    client, report, officer, reviewer, framework, period, other_org, other_officer
):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    later = report_create(organisation=other_org, period=period, acting_user=other_officer)
    advance(later, ReportStatus.IN_REVIEW, officer=other_officer, reviewer=reviewer)
    client.force_login(reviewer)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert [r.pk for r in response.context["reports"]] == [report.pk, later.pk]
    body = response.content.decode()
    assert body.index("Northwind Models") < body.index("Bluefin Labs")
    assert "Unassigned" in body


def test_drafts_verified_and_changes_requested_reports_are_not_in_the_queue(
    client, report, officer, reviewer, period, other_org, other_officer
):
    advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)
    report_create(organisation=other_org, period=period, acting_user=other_officer)
    client.force_login(reviewer)

    assert list(client.get(QUEUE).context["reports"]) == []


def test_a_reviewer_never_sees_reports_of_an_organisation_they_belong_to(
    client, report, officer, reviewer, org
):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    conflicted = UserFactory(platform_role="reviewer")
    MembershipFactory(user=conflicted, organisation=org, role="viewer")

    client.force_login(conflicted)
    response = client.get(QUEUE)

    assert response.status_code == 200
    assert list(response.context["reports"]) == []
    assert "Northwind Models" not in response.content.decode()
    client.force_login(reviewer)
    assert [r.pk for r in client.get(QUEUE).context["reports"]] == [report.pk]


def test_a_resubmission_is_marked_and_the_assigned_reviewer_shown(client, report, officer, reviewer):
    from commitments.services.reports import report_submit

    advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)
    report_submit(report=report, acting_user=officer)
    client.force_login(reviewer)

    body = client.get(QUEUE).content.decode()

    assert "resubmission" in body
    report_review_start(report=report, acting_user=reviewer)
    body = client.get(QUEUE).content.decode()
    assert "You" in body and "Continue" in body


def test_the_queue_query_count_does_not_grow_with_reports(
    client, reviewer, framework, django_assert_max_num_queries
):
    from tests.builders import commit

    period = period_for(framework, label="2027", year=2027)
    for n in range(6):
        organisation = OrganisationFactory()
        commit(organisation, framework)
        officer = MembershipFactory(organisation=organisation, role="officer").user
        new = report_create(organisation=organisation, period=period, acting_user=officer)
        advance(
            new,
            ReportStatus.SUBMITTED if n % 2 else ReportStatus.IN_REVIEW,
            officer=officer,
            reviewer=reviewer,
        )
    client.force_login(reviewer)

    with django_assert_max_num_queries(6):
        response = client.get(QUEUE)
    assert len(response.context["reports"]) == 6
