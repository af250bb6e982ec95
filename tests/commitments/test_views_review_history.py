import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from commitments.models import LedgerEntry, ReportStatus
from tests.builders import advance
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(report):
    return reverse("commitments:report_history", args=[report.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, report):
    response = client.get(_url(report))
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


def test_another_organisations_officer_gets_404(client, report, other_officer):
    client.force_login(other_officer)
    assert client.get(_url(report)).status_code == 404


def test_a_user_without_any_role_gets_404(client, report):
    client.force_login(UserFactory())
    assert client.get(_url(report)).status_code == 404


@pytest.mark.parametrize("who", ["viewer", "officer", "reviewer", "program_admin"])
def test_members_and_program_staff_read_the_history(client, report, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(report)).status_code == 200


def test_it_lists_each_ledger_event_with_actor_plain_words_and_short_hash(client, report, officer, reviewer):
    advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)
    client.force_login(officer)

    response = client.get(_url(report))

    rows = response.context["rows"]
    entries = list(LedgerEntry.objects.filter(report_id=report.pk).order_by("sequence"))
    assert [r.sequence for r in rows] == [e.sequence for e in entries]
    assert [r.event for r in rows][:1] == ["report.created"]
    assert {r.event for r in rows} >= {"item.updated", "report.submitted", "report.review_started"}
    body = response.content.decode()
    assert "Report opened" in body and "Changes requested" in body and "More detail" in body
    assert "Mitigation 1" in body  # items are named, not only by their node id
    assert officer.email in body and reviewer.email in body
    assert entries[-1].entry_hash[:12] in body
    assert entries[-1].entry_hash not in body.replace(f'title="{entries[-1].entry_hash}"', "")


def test_other_reports_entries_are_not_shown(client, report, officer, other_org, other_officer, period):
    from commitments.services.reports import report_create

    report_create(organisation=other_org, period=period, acting_user=other_officer)
    client.force_login(officer)
    rows = client.get(_url(report)).context["rows"]
    assert len(rows) == 1
    assert "bluefin" not in client.get(_url(report)).content.decode().lower()


def test_a_page_of_entries_reads_as_the_same_rows_of_the_whole_history(report, officer, reviewer):
    from commitments.selectors_review import report_history

    advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)
    whole = report_history(report=report)
    entries = list(LedgerEntry.objects.of_report(report.pk))

    page = report_history(report=report, entries=entries[2:5])

    assert page == whole[2:5]
    assert [(row.entry_hash, row.prev_hash) for row in page] == [
        (entry.entry_hash, entry.prev_hash) for entry in entries[2:5]
    ]
