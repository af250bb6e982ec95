import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from commitments.models import Comment, CompanyResponse, ItemVerdict, ReportStatus
from commitments.services.reports import item_verdict_record
from tests.builders import advance
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _first_item(report):
    return report.items.select_related("node").order_by("node__position").first()


def _urls(report):
    item = _first_item(report)
    return {
        "page": ("get", reverse("commitments:report_review", args=[report.pk]), {}),
        "history": ("get", reverse("commitments:report_history", args=[report.pk]), {}),
        "start": ("post", reverse("commitments:review_start", args=[report.pk]), {}),
        "verify": ("post", reverse("commitments:review_verify", args=[report.pk]), {}),
        "request_changes": (
            "post",
            reverse("commitments:review_request_changes", args=[report.pk]),
            {"items": [item.pk], "message": "More detail"},
        ),
        "verdict": (
            "post",
            reverse("commitments:review_item_verdict", args=[report.pk, item.pk]),
            {"verdict": "verified", "justification": "Seen."},
        ),
        "comment": (
            "post",
            reverse("commitments:review_item_comment", args=[report.pk, item.pk]),
            {"body": "A question."},
        ),
        "response": (
            "post",
            reverse("commitments:review_item_response", args=[report.pk, item.pk]),
            {"body": "Our reply."},
        ),
    }


ENDPOINTS = ["page", "history", "start", "verify", "request_changes", "verdict", "comment", "response"]


@pytest.fixture
def in_review(report, officer, reviewer):
    return advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_visitors_are_sent_to_sign_in_on_every_endpoint(client, in_review, endpoint):
    method, url, data = _urls(in_review)[endpoint]
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_organisations_officer_gets_404_on_every_endpoint(client, in_review, other_officer, endpoint):
    method, url, data = _urls(in_review)[endpoint]
    client.force_login(other_officer)
    assert getattr(client, method)(url, data).status_code == 404


def test_a_missing_report_is_404_for_a_reviewer(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("commitments:report_review", args=[999999])).status_code == 404


def test_an_item_of_another_report_is_404(client, in_review, reviewer, other_org, other_officer, period):
    from commitments.services.reports import report_create

    other = report_create(organisation=other_org, period=period, acting_user=other_officer)
    foreign_item = _first_item(other)
    client.force_login(reviewer)
    url = reverse("commitments:review_item_verdict", args=[in_review.pk, foreign_item.pk])
    assert client.post(url, {"verdict": "verified", "justification": "x"}).status_code == 404


def test_a_read_only_viewer_can_read_the_report_page_without_any_form(client, in_review, viewer):
    client.force_login(viewer)
    response = client.get(reverse("commitments:report_review", args=[in_review.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mitigation 1" in body
    assert "Record verdict" not in body
    assert "Add a comment" not in body
    assert "Request changes</button>" not in body


@pytest.mark.parametrize("endpoint", ["start", "verify", "request_changes", "verdict", "comment", "response"])
def test_a_read_only_viewer_cannot_post_anything(client, in_review, viewer, endpoint):
    method, url, data = _urls(in_review)[endpoint]
    client.force_login(viewer)
    response = client.post(url, data)
    assert response.status_code == 403
    assert not ItemVerdict.objects.exists()
    assert not Comment.objects.exists()
    in_review.refresh_from_db()
    assert in_review.status == ReportStatus.IN_REVIEW


def test_a_viewer_posting_a_verdict_gets_403(client, in_review, viewer):
    method, url, data = _urls(in_review)["verdict"]
    client.force_login(viewer)
    assert client.post(url, data).status_code == 403


def test_the_officer_sees_verdicts_and_comments_read_only_and_can_comment(
    client, in_review, officer, reviewer
):
    item = _first_item(in_review)
    item_verdict_record(
        item=item, acting_user=reviewer, verdict="needs_information", justification="Which year?"
    )
    client.force_login(officer)

    response = client.get(reverse("commitments:report_review", args=[in_review.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Which year?" in body and "Needs information" in body
    assert "Record verdict" not in body and "Start review" not in body
    _method, url, data = _urls(in_review)["comment"]
    response = client.post(url, {"body": "It covers 2026."})
    assert response.status_code == 302
    assert Comment.objects.get().author == officer
    assert "It covers 2026." in client.get(response.url).content.decode()


def test_a_reviewer_who_belongs_to_the_organisation_gets_403_on_verdicts(client, in_review, org):
    conflicted = UserFactory(platform_role="reviewer")
    MembershipFactory(user=conflicted, organisation=org, role="viewer")
    client.force_login(conflicted)

    page = client.get(reverse("commitments:report_review", args=[in_review.pk]))
    assert page.status_code == 200
    assert "Record verdict" not in page.content.decode()
    assert "cannot review its report" in page.content.decode()

    method, url, data = _urls(in_review)["verdict"]
    response = client.post(url, data)
    assert response.status_code == 403
    assert "belong to this organisation" in response.content.decode()
    assert not ItemVerdict.objects.exists()


def test_a_reviewer_starts_the_review_of_a_submitted_report(client, report, officer, reviewer):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("commitments:report_review", args=[report.pk]))
    assert "Start review" in page.content.decode()

    response = client.post(reverse("commitments:review_start", args=[report.pk]))

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_REVIEW and report.reviewer == reviewer


def test_starting_a_review_twice_is_a_409_conflict_with_a_message(client, in_review, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("commitments:review_start", args=[in_review.pk]))
    assert response.status_code == 409
    assert "Cannot start reviewing a report that is in review" in response.content.decode()


def test_a_verdict_posted_without_javascript_redirects_back_to_the_item(client, in_review, reviewer):
    item = _first_item(in_review)
    client.force_login(reviewer)
    _m, url, data = _urls(in_review)["verdict"]

    response = client.post(url, {"verdict": "partially_verified", "justification": "Policy only."})

    assert response.status_code == 302
    assert response.url.endswith(f"#item-{item.pk}")
    verdict = ItemVerdict.objects.get()
    assert (verdict.verdict, verdict.report_revision, verdict.reviewer) == ("partially_verified", 1, reviewer)
    assert "Policy only." in client.get(response.url).content.decode()


def test_a_verdict_posted_with_htmx_returns_only_the_item_fragment(client, in_review, reviewer):
    item = _first_item(in_review)
    client.force_login(reviewer)
    _m, url, data = _urls(in_review)["verdict"]

    response = client.post(url, data, headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="item-{item.pk}"' in body
    assert "<html" not in body
    assert "Verdict recorded." in body


def test_a_verdict_without_justification_is_refused_with_the_input_kept(client, in_review, reviewer):
    client.force_login(reviewer)
    _m, url, _data = _urls(in_review)["verdict"]

    response = client.post(
        url, {"verdict": "not_verified", "justification": "  "}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Explain the verdict." in body
    assert '<option value="not_verified" selected>' in body
    assert not ItemVerdict.objects.exists()


def test_an_unknown_verdict_is_refused_without_javascript_too(client, in_review, reviewer):
    client.force_login(reviewer)
    _m, url, _data = _urls(in_review)["verdict"]
    response = client.post(url, {"verdict": "great", "justification": "Nice."})
    assert response.status_code == 400
    assert "Choose a verdict." in response.content.decode()
    assert "Nice." in response.content.decode()


def test_verify_lists_the_items_still_missing_a_verdict(client, in_review, reviewer):
    item = _first_item(in_review)
    item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="Seen.")
    client.force_login(reviewer)

    response = client.post(reverse("commitments:review_verify", args=[in_review.pk]))

    assert response.status_code == 400
    body = response.content.decode()
    assert "2 have none" in body
    assert "Mitigation 2" in body and "Mitigation 3" in body
    assert [node for node, _title, _m in response.context["problems"]] == ["tiny.p1.m2", "tiny.p1.m3"]
    in_review.refresh_from_db()
    assert in_review.status == ReportStatus.IN_REVIEW


def test_request_changes_needs_at_least_one_item_and_keeps_the_message(client, in_review, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("commitments:review_request_changes", args=[in_review.pk]), {"message": "Please add dates."}
    )
    assert response.status_code == 400
    assert "Please add dates." in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == ReportStatus.IN_REVIEW


def test_the_company_response_form_appears_only_for_officers_of_a_verified_report(
    client, report, officer, contributor, reviewer
):
    advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    page_url = reverse("commitments:report_review", args=[report.pk])
    client.force_login(contributor)
    assert "Add response" not in client.get(page_url).content.decode()
    _m, url, data = _urls(report)["response"]
    assert client.post(url, data).status_code == 403

    client.force_login(officer)
    assert "Add response" in client.get(page_url).content.decode()
    assert client.post(url, data).status_code == 302
    assert CompanyResponse.objects.get().body == "Our reply."


def test_a_company_response_before_verification_is_a_409(client, in_review, officer):
    _m, url, data = _urls(in_review)["response"]
    client.force_login(officer)
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "after verification" in response.content.decode()
    assert not CompanyResponse.objects.exists()


def test_the_review_page_query_count_does_not_grow_with_items(
    client, db, reviewer, django_assert_max_num_queries
):
    from commitments.services.reports import report_create
    from tests.builders import commit, period_for, small_framework
    from tests.factories import OrganisationFactory

    framework = small_framework(key="big", items=12)
    period = period_for(framework)
    organisation = OrganisationFactory()
    commit(organisation, framework)
    officer = MembershipFactory(organisation=organisation, role="officer").user
    big = report_create(organisation=organisation, period=period, acting_user=officer)
    advance(big, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    for item in big.items.select_related("node"):
        item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="Seen.")
    client.force_login(reviewer)

    # 15: one of them reads the audit corrective actions the report follows up, whatever their number.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("commitments:report_review", args=[big.pk]))
    assert response.status_code == 200
    assert response.context["verdict_count"] == 12
