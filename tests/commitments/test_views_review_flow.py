"""The whole review journey over HTTP, with the officer's side done through the services."""

import pytest
from django.urls import reverse

from commitments.models import CompanyResponse, ItemVerdict, ReportStatus
from commitments.services.reports import item_update, report_submit
from reports.models import Publication
from tests.builders import answer_all

pytestmark = pytest.mark.django_db


def test_start_verdicts_request_changes_resubmit_verify_respond_and_publish(
    client, report, officer, reviewer, program_admin
):
    answer_all(report, officer)
    report_submit(report=report, acting_user=officer)
    page = reverse("commitments:report_review", args=[report.pk])
    items = list(report.items.select_related("node").order_by("node__position"))

    # The reviewer picks the report from the queue and starts the review.
    client.force_login(reviewer)
    assert report in client.get(reverse("commitments:review_queue")).context["reports"]
    assert client.post(reverse("commitments:review_start", args=[report.pk])).status_code == 302

    # A verdict per item, the first one not good enough.
    for item in items:
        verdict = "needs_information" if item == items[0] else "verified"
        response = client.post(
            reverse("commitments:review_item_verdict", args=[report.pk, item.pk]),
            {"verdict": verdict, "justification": f"Checked {item.node.title}."},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
    assert client.get(page).context["all_have_verdicts"]

    # Changes requested on the first item.
    response = client.post(
        reverse("commitments:review_request_changes", args=[report.pk]),
        {"items": [items[0].pk], "message": "Say which quarter the numbers cover."},
    )
    assert response.status_code == 302 and response.url == reverse("commitments:review_queue")
    report.refresh_from_db()
    assert report.status == ReportStatus.CHANGES_REQUESTED

    # The officer fixes the item and resubmits.
    first = items[0]
    first.refresh_from_db()
    item_update(
        item=first,
        acting_user=officer,
        expected_version=first.version,
        status="in_progress",
        narrative="Numbers cover Q1 to Q3 2026.",
    )
    report_submit(report=report, acting_user=officer)

    # The reviewer sees the resubmission and exactly what changed.
    queue = client.get(reverse("commitments:review_queue")).content.decode()
    assert "resubmission" in queue
    client.post(reverse("commitments:review_start", args=[report.pk]))
    body = client.get(page).content.decode()
    assert "Resubmitted: revision 2" in body
    assert "Say which quarter the numbers cover." in body
    assert "Scheduled for the next quarter." in body  # the narrative before
    assert "Numbers cover Q1 to Q3 2026." in body  # and after
    assert "1 item changed" in body

    # Verdicts of revision 1 do not count for revision 2.
    response = client.post(reverse("commitments:review_verify", args=[report.pk]))
    assert response.status_code == 400
    for item in items:
        client.post(
            reverse("commitments:review_item_verdict", args=[report.pk, item.pk]),
            {"verdict": "verified", "justification": "Now complete."},
        )
    assert ItemVerdict.objects.filter(report_revision=2).count() == 3
    response = client.post(reverse("commitments:review_verify", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.VERIFIED

    # The officer adds the company response: the right of reply.
    client.force_login(officer)
    response = client.post(
        reverse("commitments:review_item_response", args=[report.pk, first.pk]),
        {"body": "We will publish quarterly figures from 2027."},
    )
    assert response.status_code == 302
    assert CompanyResponse.objects.get().item == first

    # A program admin publishes from the overview.
    client.force_login(program_admin)
    overview = client.get(reverse("reports:overview")).content.decode()
    assert reverse("reports:report_publish", args=[report.pk]) in overview
    response = client.post(reverse("reports:report_publish", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED
    publication = Publication.objects.get(report=report)
    assert "We will publish quarterly figures from 2027." in publication.snapshot

    # Everything shows in the report's history.
    client.force_login(officer)
    history = client.get(reverse("commitments:report_history", args=[report.pk])).content.decode()
    for words in (
        "Report submitted",
        "Review started",
        "Verdict recorded",
        "Changes requested",
        "Report verified",
        "Company response added",
        "Report published",
    ):
        assert words in history
