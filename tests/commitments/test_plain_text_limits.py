"""Plain-text fields shown on pages and in the PDFs (justification, comment, company response,
change request, correction reason) are held to the same length limit as narratives."""

import pytest
from django.urls import reverse

from commitments.errors import ValidationFailed
from commitments.models import Comment, CompanyResponse, ItemResponse, ItemVerdict, ReportStatus
from commitments.services.reports import item_verdict_record, report_changes_request
from commitments.services.reviews import comment_add, company_response_add
from reports.models import Publication
from reports.services import publication_correct
from tests.builders import advance

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * 20_001
MESSAGE = "Text is limited to 20,000 characters; this text has 20,001."


def first_item(report):
    item = report.items.select_related("node").order_by("node__position").first()
    item.report = report
    return item


@pytest.fixture
def in_review(report, officer, reviewer):
    return advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)


def test_a_verdict_justification_over_the_limit_is_refused(in_review, reviewer):
    with pytest.raises(ValidationFailed) as refused:
        item_verdict_record(
            item=first_item(in_review), acting_user=reviewer, verdict="verified", justification=TOO_LONG
        )

    assert str(refused.value) == MESSAGE
    assert refused.value.problems == {"justification": [MESSAGE]}
    assert not ItemVerdict.objects.exists()


def test_a_justification_at_the_limit_is_recorded(in_review, reviewer):
    item_verdict_record(
        item=first_item(in_review), acting_user=reviewer, verdict="verified", justification="x" * 20_000
    )

    assert ItemVerdict.objects.get().justification == "x" * 20_000


def test_a_comment_over_the_limit_is_refused(in_review, officer):
    with pytest.raises(ValidationFailed, match="limited to 20,000 characters"):
        comment_add(item=first_item(in_review), acting_user=officer, body=TOO_LONG)

    assert not Comment.objects.exists()


def test_a_change_request_message_over_the_limit_is_refused(in_review, reviewer):
    with pytest.raises(ValidationFailed, match="limited to 20,000 characters"):
        report_changes_request(
            report=in_review, acting_user=reviewer, items=[first_item(in_review)], message=TOO_LONG
        )

    in_review.refresh_from_db()
    assert in_review.status == ReportStatus.IN_REVIEW


def test_a_company_response_over_the_limit_is_refused(report, officer, reviewer):
    advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)

    with pytest.raises(ValidationFailed, match="limited to 20,000 characters"):
        company_response_add(item=first_item(report), acting_user=officer, body=TOO_LONG)

    assert not CompanyResponse.objects.exists()


def test_a_correction_reason_over_the_limit_is_refused(report, officer, reviewer, program_admin):
    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    ItemResponse.objects.filter(report=report).update(narrative="Corrected wording.")

    with pytest.raises(ValidationFailed, match="limited to 20,000 characters"):
        publication_correct(report=report, acting_user=program_admin, reason=TOO_LONG)

    assert Publication.objects.filter(report=report).count() == 1


def test_the_review_page_refuses_an_over_long_comment_with_the_message_and_keeps_it(
    client, in_review, reviewer
):
    item = first_item(in_review)
    client.force_login(reviewer)

    response = client.post(
        reverse("commitments:review_item_comment", args=[in_review.pk, item.pk]),
        {"body": TOO_LONG},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert MESSAGE in page
    assert f">{TOO_LONG}</textarea>" in page
    assert not Comment.objects.exists()
