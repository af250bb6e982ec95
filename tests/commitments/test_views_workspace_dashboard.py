import datetime

import pytest
import time_machine
from django.urls import reverse

from commitments.models import ProgressReport, ReportStatus
from commitments.services.reports import MetricInput, item_update, report_create
from tests.builders import advance, period_for

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("commitments:dashboard")


def start_url(org, period):
    return reverse("commitments:report_start", kwargs={"org_slug": org.slug, "period_id": period.pk})


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_lists_the_commitments_and_open_periods_of_the_users_organisation(client, officer, period):
    client.force_login(officer)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Northwind Models" in page
    assert "Tiny framework tiny" in page
    assert "signed 23 April 2024" in page
    assert "reporting annual" in page
    assert "31 Mar 2027" in page
    assert "Start report" in page


def test_it_never_shows_another_organisations_reports(client, other_officer, report):
    client.force_login(other_officer)

    page = client.get(DASHBOARD).content.decode()

    assert "Bluefin Labs" in page
    assert "Northwind Models" not in page
    assert reverse("commitments:report_edit", kwargs={"report_id": report.pk}) not in page


def test_it_shows_each_reports_state_and_completion_in_words(client, officer, report):
    item = report.items.select_related("node").order_by("node__position").last()
    item_update(item=item, acting_user=officer, expected_version=item.version, status="planned")
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert "Draft" in page
    assert "1 of 3 answered" in page
    assert 'max="3" value="1" aria-label="Items answered"' in page
    assert "Continue report" in page


@time_machine.travel(datetime.date(2027, 4, 10))
def test_it_marks_an_overdue_period_in_text(client, officer, period):
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert "Overdue by 10 days" in page


@time_machine.travel(datetime.date(2027, 4, 10))
def test_a_submitted_report_is_not_overdue(client, officer, reviewer, report):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert "Submitted" in page
    assert "Overdue" not in page


def test_a_viewer_sees_the_report_but_cannot_start_one(client, viewer, period):
    client.force_login(viewer)

    page = client.get(DASHBOARD).content.decode()

    assert "Start report" not in page
    assert "An officer starts the report." in page


def test_an_officer_starts_a_report_from_the_dashboard(client, officer, org, period):
    client.force_login(officer)

    response = client.post(start_url(org, period))

    report = ProgressReport.objects.get(organisation=org, period=period)
    assert response.status_code == 302
    assert response["Location"] == reverse("commitments:report_edit", kwargs={"report_id": report.pk})
    assert report.items.count() == 3


def test_it_offers_to_start_from_the_last_published_answers(
    client, officer, reviewer, program_admin, org, framework, report
):
    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    next_period = period_for(framework, label="2027", year=2027)
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()
    assert "Start from last published answers" in page
    assert "Published reports" in page

    client.post(start_url(org, next_period), {"carry_forward": "1"})

    new = ProgressReport.objects.get(organisation=org, period=next_period)
    assert all(item.carried_forward for item in new.items.all())
    editor = client.get(reverse("commitments:report_edit", kwargs={"report_id": new.pk})).content.decode()
    assert editor.count("carried forward — unchanged") == 3


def test_without_a_published_report_there_is_nothing_to_carry_forward(client, officer, period):
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert "Start from last published answers" not in page


def test_starting_a_report_needs_login(client, org, period):
    response = client.post(start_url(org, period))

    assert response.status_code == 302
    assert not ProgressReport.objects.exists()


def test_another_organisations_officer_cannot_start_a_report_and_learns_nothing(
    client, other_officer, org, period
):
    client.force_login(other_officer)

    response = client.post(start_url(org, period))

    assert response.status_code == 404
    assert not ProgressReport.objects.filter(organisation=org).exists()


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_only_officers_can_start_a_report(client, request, role, org, period):
    client.force_login(request.getfixturevalue(role))

    response = client.post(start_url(org, period))

    assert response.status_code == 403
    assert not ProgressReport.objects.exists()


def test_starting_a_second_report_for_a_period_is_refused_with_a_message(
    client, officer, org, period, report
):
    client.force_login(officer)

    response = client.post(start_url(org, period), follow=True)

    assert "already has a report" in response.content.decode()
    assert ProgressReport.objects.filter(organisation=org).count() == 1


def test_the_dashboard_query_count_does_not_grow_with_reports(
    client, officer, org, framework, report, django_assert_max_num_queries
):
    for year in range(2027, 2031):
        period = period_for(framework, label=str(year), year=year)
        created = report_create(organisation=org, period=period, acting_user=officer)
        item = created.items.select_related("node").first()
        item_update(
            item=item,
            acting_user=officer,
            expected_version=item.version,
            metrics={"reports": MetricInput(value=3, data_source="x")},
        )
    client.force_login(officer)

    # 12: the reports, plus the audit panels (open evidence requests; findings to respond to and
    # corrective actions of the organisation), each one query whatever the number of reports.
    with django_assert_max_num_queries(12):
        response = client.get(DASHBOARD)

    assert response.content.decode().count("of 3 answered") == 5
