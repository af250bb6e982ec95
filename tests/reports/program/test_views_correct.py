"""The program admin's correction form: a reason, a confirmation, a new public version."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from commitments.models import ItemResponse, LedgerEntry, ReportStatus
from reports.models import Publication
from tests.builders import advance
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

REASON = "The metric was entered in the wrong unit; the company sent the right figure."
OVERVIEW = reverse("reports:overview")
REPORT = ["northwind-models", "tiny", "2026"]


def _correct_url(report):
    return reverse("reports:report_correct", args=[report.pk])


@pytest.fixture
def published(report, officer, reviewer, program_admin):
    return advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)


def _change_published_content(report):
    # Arrange: how a published report's content gets fixed before a correction is outside this
    # feature, and no service allows it yet, so the ORM stands in for it (as in the service tests).
    ItemResponse.objects.filter(report=report, node__node_id="tiny.p1.m2").update(
        status="in_progress", narrative="Only half of it is in place."
    )


def _post(client, report, **data):
    return client.post(_correct_url(report), {"reason": REASON, "confirm": "on", **data})


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(client, published, method):
    response = getattr(client, method)(_correct_url(published))
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organisation_does_not_learn_the_report_exists(client, published, other_officer, method):
    _change_published_content(published)
    client.force_login(other_officer)

    response = getattr(client, method)(_correct_url(published), {"reason": REASON, "confirm": "on"})

    assert response.status_code == 404
    assert published.publications.count() == 1


@pytest.mark.parametrize("who", ["officer", "viewer", "reviewer"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_program_admins_may_correct(client, request, published, who, method):
    _change_published_content(published)
    client.force_login(request.getfixturevalue(who))

    response = getattr(client, method)(_correct_url(published), {"reason": REASON, "confirm": "on"})

    assert response.status_code == 403
    assert published.publications.count() == 1


def test_a_program_admin_who_belongs_to_the_organisation_cannot_correct(
    client, published, program_admin, org
):
    _change_published_content(published)
    MembershipFactory(user=program_admin, organisation=org, role="viewer")
    client.force_login(program_admin)

    assert client.get(_correct_url(published)).status_code == 403
    assert _post(client, published).status_code == 403
    assert published.publications.count() == 1


def test_a_missing_report_is_404(client, program_admin):
    client.force_login(program_admin)
    assert client.get(reverse("reports:report_correct", args=[999999])).status_code == 404


# --- the form ------------------------------------------------------------------------------------


def test_the_form_shows_what_the_correction_will_publish(client, published, program_admin):
    _change_published_content(published)
    client.force_login(program_admin)

    response = client.get(_correct_url(published))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Correct Northwind Models's 2026 report" in body
    assert "Status: Planned → In progress" in body
    assert "Publish version 2 to the public now" in body
    assert 'name="reason"' in body and 'name="confirm"' in body


def test_a_program_admin_publishes_a_correction_and_lands_on_the_new_version(
    client, published, program_admin, django_capture_on_commit_callbacks
):
    anonymous = Client()
    item_url = reverse("public:item", args=[*REPORT, "tiny.p1.m2"])
    assert "Only half of it is in place." not in anonymous.get(item_url).content.decode()  # now cached
    _change_published_content(published)
    client.force_login(program_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, published)

    assert response.status_code == 302
    assert response.url == reverse("public:report", args=REPORT)
    (old, new) = published.publications.order_by("version")
    assert (new.version, new.supersedes, new.correction_reason) == (2, old, REASON)
    assert LedgerEntry.objects.filter(event="publication.corrected", report_id=published.pk).count() == 1
    landing = client.get(response.url).content.decode()
    assert "Published version 2 of Northwind Models&#x27;s 2026 report, correcting version 1." in landing
    # The public sees the correction at once, its reason in the log, and the old version.
    assert "Only half of it is in place." in anonymous.get(item_url).content.decode()
    assert REASON in anonymous.get(reverse("public:corrections")).content.decode()
    old_page = anonymous.get(reverse("public:report_version", args=[*REPORT, 1]))
    assert old_page.status_code == 200
    assert "superseded by a correction" in old_page.content.decode()
    old_item = anonymous.get(reverse("public:item_version", args=[*REPORT, 1, "tiny.p1.m2"]))
    assert "Only half of it is in place." not in old_item.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "   "}, "reason", "Say why the report is corrected."),
        ({"confirm": ""}, "confirm", "Tick the box to confirm that the correction is published."),
    ],
)
def test_a_correction_needs_a_reason_and_a_confirmation(
    client, published, program_admin, data, field, message
):
    _change_published_content(published)
    client.force_login(program_admin)

    response = _post(client, published, **data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert published.publications.count() == 1


def test_the_reason_is_kept_when_the_confirmation_is_missing(client, published, program_admin):
    _change_published_content(published)
    client.force_login(program_admin)

    body = _post(client, published, confirm="").content.decode()

    assert REASON in body


def test_a_correction_that_changes_nothing_is_refused_on_the_form(client, published, program_admin):
    client.force_login(program_admin)
    assert "Nothing has changed since version 1" in client.get(_correct_url(published)).content.decode()

    response = _post(client, published)

    assert response.status_code == 400
    body = response.content.decode()
    assert "there is nothing to correct" in body
    assert REASON in body  # what was typed is not lost
    assert published.publications.count() == 1


def test_an_unpublished_report_cannot_be_corrected(client, report, officer, reviewer, program_admin):
    advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    client.force_login(program_admin)
    assert "This report is not published" in client.get(_correct_url(report)).content.decode()

    response = _post(client, report)

    assert response.status_code == 409
    body = response.content.decode()
    assert "Only a published report can be corrected" in body
    assert REASON in body
    assert not Publication.objects.exists()


# --- the overview links to it --------------------------------------------------------------------


def test_the_overview_links_a_published_report_to_its_correction_form(client, published, program_admin):
    client.force_login(program_admin)
    assert _correct_url(published) in client.get(OVERVIEW).content.decode()


def test_the_overview_offers_no_correction_to_reviewers_or_of_unpublished_reports(
    client, report, officer, reviewer, program_admin
):
    advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    client.force_login(program_admin)
    assert _correct_url(report) not in client.get(OVERVIEW).content.decode()

    client.force_login(reviewer)
    assert _correct_url(report) not in client.get(OVERVIEW).content.decode()
