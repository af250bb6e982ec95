import csv
import datetime
import io

import pytest
import time_machine
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from commitments.models import ReportStatus
from commitments.services.reports import report_create
from reports.models import Publication
from tests.builders import advance, commit, period_for
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("reports:overview")
CSV_URL = reverse("reports:overview_csv")


def _publish_url(report):
    return reverse("reports:report_publish", args=[report.pk])


@pytest.mark.parametrize("url", [OVERVIEW, CSV_URL])
def test_anonymous_visitors_are_sent_to_sign_in(client, period, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("url", [OVERVIEW, CSV_URL])
@pytest.mark.parametrize("who", ["officer", "other_officer", "viewer", "contributor"])
def test_organisation_members_get_403(client, request, period, url, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ["reviewer", "program_admin"])
def test_program_staff_see_every_committed_organisation(client, request, report, other_org, who):
    OrganisationFactory(name="Unsigned Systems")  # signed nothing, so not listed
    client.force_login(request.getfixturevalue(who))

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.organisation.name, r.state_label) for r in rows] == [
        ("Bluefin Labs", "Not started"),
        ("Northwind Models", "Draft"),
    ]
    assert "Unsigned Systems" not in response.content.decode()


def test_the_latest_period_is_shown_unless_another_is_chosen(client, framework, org, officer, reviewer):
    old = period_for(framework, label="2025", year=2025)
    new = period_for(framework, label="2026", year=2026)
    report_create(organisation=org, period=old, acting_user=officer)
    client.force_login(reviewer)

    assert client.get(OVERVIEW).context["period"] == new
    assert client.get(OVERVIEW).context["rows"][0].report is None
    response = client.get(OVERVIEW, {"period": old.pk})
    assert response.context["period"] == old
    assert response.context["rows"][0].state_label == "Draft"
    assert client.get(OVERVIEW, {"period": 999999}).status_code == 404
    assert client.get(OVERVIEW, {"period": "x"}).status_code == 404


def test_it_shows_reviewer_submitted_date_and_completion(client, report, officer, reviewer):
    report = advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    client.force_login(reviewer)

    response = client.get(OVERVIEW)

    (row,) = response.context["rows"]
    assert row.report.reviewer == reviewer
    assert (row.answered, row.total, row.completion_percent) == (3, 3, 100)
    body = response.content.decode()
    assert str(reviewer) in body
    assert "3/3" in body
    assert report.submitted_at.strftime("%-d %b %Y") in body


@time_machine.travel(datetime.date(2027, 4, 10))
def test_unsubmitted_reports_past_the_due_date_are_flagged_overdue_in_words(
    client, report, officer, reviewer, other_org, period
):
    client.force_login(reviewer)
    rows = {r.organisation.name: r for r in client.get(OVERVIEW).context["rows"]}
    assert rows["Northwind Models"].overdue and rows["Bluefin Labs"].overdue
    assert "Overdue" in client.get(OVERVIEW).content.decode()

    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    rows = {r.organisation.name: r for r in client.get(OVERVIEW).context["rows"]}
    assert not rows["Northwind Models"].overdue


@time_machine.travel(datetime.date(2027, 3, 1))
def test_nothing_is_overdue_before_the_due_date(client, period, org, reviewer):
    client.force_login(reviewer)
    assert not any(r.overdue for r in client.get(OVERVIEW).context["rows"])
    assert "Overdue</span>" not in client.get(OVERVIEW).content.decode()


def test_the_query_count_does_not_grow_with_organisations(
    client, framework, period, reviewer, django_assert_max_num_queries
):
    for n in range(8):
        organisation = OrganisationFactory()
        commit(organisation, framework)
        if n % 2:
            officer = MembershipFactory(organisation=organisation, role="officer").user
            report = report_create(organisation=organisation, period=period, acting_user=officer)
            advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    client.force_login(reviewer)

    # 8: one of them loads the session's second-factor device (django-otp's middleware).
    with django_assert_max_num_queries(8):
        response = client.get(OVERVIEW)
    assert len(response.context["rows"]) == 8
    with django_assert_max_num_queries(8):
        assert client.get(CSV_URL).status_code == 200


# --- publish ------------------------------------------------------------------------------------


@pytest.fixture
def verified(report, officer, reviewer):
    return advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)


def test_publishing_needs_sign_in(client, verified):
    response = client.post(_publish_url(verified))
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("who", ["officer", "viewer", "reviewer"])
def test_only_program_admins_may_publish(client, request, verified, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(_publish_url(verified)).status_code == 403
    verified.refresh_from_db()
    assert verified.status == ReportStatus.VERIFIED


def test_another_organisation_does_not_learn_the_report_exists(client, verified, other_officer):
    client.force_login(other_officer)
    assert client.post(_publish_url(verified)).status_code == 404
    verified.refresh_from_db()
    assert verified.status == ReportStatus.VERIFIED


def test_a_reviewer_sees_no_publish_button(client, verified, reviewer):
    client.force_login(reviewer)
    body = client.get(OVERVIEW).content.decode()
    assert _publish_url(verified) not in body
    assert "Awaiting publication by a program admin" in body


def test_a_program_admin_publishes_a_verified_report_in_one_click(client, verified, program_admin):
    client.force_login(program_admin)

    response = client.post(_publish_url(verified))

    assert response.status_code == 302
    assert response.url == f"{OVERVIEW}?period={verified.period_id}"
    verified.refresh_from_db()
    assert verified.status == ReportStatus.PUBLISHED
    assert Publication.objects.get(report=verified).version == 1
    page = client.get(response.url).content.decode()
    assert "Published Northwind Models" in page
    assert _publish_url(verified) not in page


def test_a_program_admin_who_belongs_to_the_organisation_cannot_publish(client, verified, program_admin, org):
    MembershipFactory(user=program_admin, organisation=org, role="viewer")
    client.force_login(program_admin)
    assert _publish_url(verified) not in client.get(OVERVIEW).content.decode()
    assert client.post(_publish_url(verified)).status_code == 403
    assert not Publication.objects.exists()


def test_publishing_a_report_that_is_not_verified_is_a_409(client, report, officer, reviewer, program_admin):
    advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    client.force_login(program_admin)
    response = client.post(_publish_url(report))
    assert response.status_code == 409
    assert "Cannot publish a report that is in review" in response.content.decode()


def test_publishing_a_missing_report_is_404(client, program_admin):
    client.force_login(program_admin)
    assert client.post(reverse("reports:report_publish", args=[999999])).status_code == 404


def test_publishing_needs_post(client, verified, program_admin):
    client.force_login(program_admin)
    assert client.get(_publish_url(verified)).status_code == 405


# --- CSV ------------------------------------------------------------------------------------------


def _rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_header_and_one_row_per_committed_organisation(
    client, period, report, officer, reviewer, other_org
):
    advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    OrganisationFactory(name="Unsigned Systems")
    client.force_login(reviewer)

    response = client.get(CSV_URL, {"period": period.pk})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="pledgeproof-overview-tiny-2026.csv"'
    header, *rows = _rows(response)
    assert header[:3] == ["organisation", "organisation_slug", "framework"]
    assert len(rows) == 2
    by_org = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_org["Bluefin Labs"]["state"] == "not_started"
    northwind = by_org["Northwind Models"]
    assert (northwind["state"], northwind["reviewer"], northwind["report_id"]) == (
        "verified",
        reviewer.email,
        str(report.pk),
    )
    assert (northwind["answered_items"], northwind["total_items"], northwind["overdue"]) == ("3", "3", "no")


def test_csv_cells_cannot_start_a_spreadsheet_formula(client, framework, period, reviewer):
    organisation = OrganisationFactory(name='=HYPERLINK("http://evil.test")', slug="formula")
    commit(organisation, framework)
    client.force_login(reviewer)
    _header, row = _rows(client.get(CSV_URL))
    assert row[0].startswith("'=")


def test_a_report_first_submitted_after_the_due_date_is_shown_as_late(
    client, report, officer, reviewer, period
):
    with time_machine.travel(datetime.datetime(2027, 4, 10, 9, tzinfo=datetime.UTC)):
        advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    client.force_login(reviewer)

    row = client.get(OVERVIEW).context["rows"][0]
    assert row.late and not row.overdue
    assert "Submitted late" in client.get(OVERVIEW).content.decode()
    csv_text = client.get(reverse("reports:overview_csv") + f"?period={period.pk}").content.decode()
    record = next(csv.DictReader(io.StringIO(csv_text)))
    assert record["submitted_late"] == "yes"
    assert record["first_submitted_at"].startswith("2027-04-10")


def test_a_report_submitted_before_the_due_date_is_on_time_even_after_a_late_resubmission(
    client, report, officer, reviewer, period
):
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, tzinfo=datetime.UTC)):
        advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)
    with time_machine.travel(datetime.datetime(2027, 5, 1, 9, tzinfo=datetime.UTC)):
        from commitments.services.reports import report_submit

        report_submit(report=report, acting_user=officer)
    client.force_login(reviewer)

    row = client.get(OVERVIEW).context["rows"][0]
    assert not row.late
    assert "Submitted on time" in client.get(OVERVIEW).content.decode()
