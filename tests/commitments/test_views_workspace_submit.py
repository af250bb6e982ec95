import pytest
from django.urls import reverse

from commitments.models import ReportStatus
from tests.builders import answer_all

pytestmark = pytest.mark.django_db


def submit_url(report):
    return reverse("commitments:report_submit", kwargs={"report_id": report.pk})


def edit_url(report):
    return reverse("commitments:report_edit", kwargs={"report_id": report.pk})


def test_submitting_with_missing_answers_lists_every_problem_next_to_its_item(client, officer, report):
    client.force_login(officer)

    response = client.post(submit_url(report))

    assert response.status_code == 400
    page = response.content.decode()
    assert "3 item(s) need attention" in page
    assert "3 items need attention before submitting" in page
    for item in report.items.all():
        assert f'href="#item-{item.pk}"' in page
    # Once in the summary and once inside the item's own card.
    assert page.count("Choose an implementation status.") == 6
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_a_problem_is_shown_inside_its_own_items_card(client, officer, report):
    answer_all(report, officer)
    first = report.items.select_related("node").order_by("node__position").first()
    from commitments.services.reports import item_update

    first.refresh_from_db()
    item_update(item=first, acting_user=officer, expected_version=first.version, status="implemented")
    client.force_login(officer)

    page = client.post(submit_url(report)).content.decode()

    card_start = page.index(f'<article id="item-{first.pk}"')
    card = page[card_start : page.index("</article>", card_start)]
    assert "Attach at least one piece of evidence for an implemented mitigation." in card
    assert "1 item needs attention before submitting" in page


def test_an_officer_submits_a_complete_report_and_it_becomes_read_only(client, officer, report):
    answer_all(report, officer)
    client.force_login(officer)

    response = client.post(submit_url(report), follow=True)

    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert response.redirect_chain[-1][0] == edit_url(report)
    page = response.content.decode()
    assert "Report submitted for review." in page
    assert "Save item" not in page
    assert "Submit for review" not in page


def test_submitting_twice_is_refused_with_the_reason(client, officer, report):
    answer_all(report, officer)
    client.force_login(officer)
    client.post(submit_url(report))

    response = client.post(submit_url(report), follow=True)

    assert "Cannot submit a report that is submitted" in response.content.decode()


def test_a_contributor_cannot_submit(client, contributor, report):
    answer_all(report, contributor)
    client.force_login(contributor)

    response = client.post(submit_url(report))

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("other_officer", 404), ("viewer", 403), ("reviewer", 403)],
)
def test_submitting_is_refused_down_the_access_ladder(client, request, officer, report, who, status):
    answer_all(report, officer)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post(submit_url(report))

    assert response.status_code == status
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_submit_only_accepts_post(client, officer, report):
    client.force_login(officer)

    assert client.get(submit_url(report)).status_code == 405
