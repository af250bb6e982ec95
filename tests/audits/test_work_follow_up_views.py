"""Where a corrective action is followed up: the panel in the next report's item editor and its form
(commitments:follow_up_save), the officers' dashboard, the reviewer's review page and the history."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from audits.models import Finding
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import LedgerEvent, ReportStatus
from tests.audits.follow_up_fixtures import (  # noqa: F401
    CORRECTIVE,
    FOLLOW_UP,
    attested_fixture,
    audit_and_attest,
    follow_up,
    item_like,
    next_period_fixture,
    next_report_fixture,
)
from tests.audits.work_fixtures import entries, solo_fixture  # noqa: F401
from tests.builders import advance, item_form_data, period_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> Timestamps </textarea><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Timestamps &lt;/textarea&gt;&lt;img src=x"
PANEL_TITLE = "Corrective action from the independent audit of 2026"
DASHBOARD = reverse("commitments:dashboard")


def edit_url(report):
    return reverse("commitments:report_edit", args=[report.pk])


def save_url(report, finding):
    return reverse("commitments:follow_up_save", kwargs={"report_id": report.pk, "finding_id": finding.pk})


def field(finding) -> str:
    return f"follow-up-{finding.pk}-text"


def post(client, report, finding, text=FOLLOW_UP, **options):
    return client.post(save_url(report, finding), {field(finding): text}, **options)


def reloaded(finding) -> Finding:
    return Finding.objects.get(pk=finding.pk)


def item_article(page: str, item) -> str:
    """The part of the editor page that is the item's card."""
    start = page.index(f'<article id="item-{item.pk}"')
    return page[start : page.index("</article>", start)]


# --- the panel in the next report's item editor ---------------------------------------------------


def test_the_next_reports_item_shows_the_corrective_action_with_a_form(
    client, attested, next_report, officer
):
    client.force_login(officer)

    page = client.get(edit_url(next_report)).content.decode()

    card = item_article(page, item_like(next_report, attested.nonconformity))
    assert PANEL_TITLE in card
    for text in (
        "Two of five escalations had no time recorded.",
        "Record the time of every escalation.",
        CORRECTIVE,
    ):
        assert text in card
    assert f'action="{save_url(next_report, attested.nonconformity)}"' in card
    assert "Save follow-up" in card
    assert page.count(PANEL_TITLE) == 1  # on that item only; the observation has no panel


def test_the_audited_report_and_reports_after_the_next_show_no_panel(
    client, attested, next_report, framework, org, officer
):
    from commitments.services.reports import report_create

    later = report_create(organisation=org, period=period_for(framework, "2028", 2028), acting_user=officer)
    client.force_login(officer)

    for report in (attested.audited, later):
        assert PANEL_TITLE not in client.get(edit_url(report)).content.decode()


def test_no_panel_before_the_engagement_is_attested(client, solo, next_report, officer):
    audit_and_attest(solo.engagement, solo.items, solo.auditor, attest=False)
    client.force_login(officer)

    assert PANEL_TITLE not in client.get(edit_url(next_report)).content.decode()


def test_a_viewer_reads_the_panel_without_a_form(client, attested, next_report, officer, viewer):
    follow_up(attested.nonconformity, next_report, officer, text=HOSTILE)
    client.force_login(viewer)

    page = client.get(edit_url(next_report)).content.decode()

    assert PANEL_TITLE in page
    assert ESCAPED in page
    assert "<script>alert" not in page
    assert save_url(next_report, attested.nonconformity) not in page


def test_an_officer_saves_the_follow_up_and_comes_back_to_it(client, attested, next_report, officer):
    client.force_login(officer)

    response = post(client, next_report, attested.nonconformity)

    assert response.status_code == 302
    assert response["Location"] == edit_url(next_report) + f"#follow-up-{attested.nonconformity.pk}"
    assert reloaded(attested.nonconformity).follow_up == FOLLOW_UP
    page = client.get(response["Location"]).content.decode()
    assert "Follow-up saved." in page
    assert FOLLOW_UP in page
    assert "Update follow-up" in page


def test_hostile_text_is_saved_as_typed_and_shown_escaped_in_the_form(client, attested, next_report, officer):
    client.force_login(officer)

    post(client, next_report, attested.nonconformity, text=HOSTILE)

    assert reloaded(attested.nonconformity).follow_up == HOSTILE.strip()
    page = client.get(edit_url(next_report)).content.decode()
    assert ESCAPED in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "Say what was done about the corrective action."), ("x" * (MAX_CHARS + 1), "limited to")],
    ids=["empty", "too long"],
)
def test_a_refused_follow_up_comes_back_with_the_problem_and_nothing_saved(
    client, attested, next_report, officer, text, words
):
    client.force_login(officer)

    response = post(client, next_report, attested.nonconformity, text=text)

    assert response.status_code == 400
    page = response.content.decode()
    card = item_article(page, item_like(next_report, attested.nonconformity))
    assert words in card
    assert "The follow-up was not saved" in card
    assert reloaded(attested.nonconformity).followed_up_in is None
    assert entries(LedgerEvent.FINDING_FOLLOWED_UP) == []


def test_a_nul_character_is_refused_by_the_form(client, attested, next_report, officer):
    client.force_login(officer)

    response = post(client, next_report, attested.nonconformity, text="Done.\x00")

    assert response.status_code == 400
    assert reloaded(attested.nonconformity).followed_up_in is None


def test_a_report_handed_in_says_why_and_keeps_nothing(client, attested, next_report, officer, reviewer):
    submitted = advance(next_report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    client.force_login(officer)

    response = post(client, submitted, attested.nonconformity, follow=True)

    assert "The 2027 report is submitted" in response.content.decode()
    assert reloaded(attested.nonconformity).followed_up_in is None
    # And the read-only editor offers no form.
    assert save_url(submitted, attested.nonconformity) not in client.get(edit_url(submitted)).content.decode()


def test_an_item_saved_with_htmx_keeps_its_follow_up_panel(client, attested, next_report, officer):
    item = item_like(next_report, attested.nonconformity)
    client.force_login(officer)

    response = client.post(
        reverse("commitments:item_save", kwargs={"report_id": next_report.pk, "item_id": item.pk}),
        item_form_data(item),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert PANEL_TITLE in response.content.decode()


# --- the access ladder of commitments:follow_up_save ----------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, attested, next_report):
    response = post(client, next_report, attested.nonconformity)

    assert response.status_code == 302
    assert response["Location"].split("?")[0] == resolve_url(settings.LOGIN_URL)
    assert reloaded(attested.nonconformity).followed_up_in is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("other_officer", 404),  # cannot see the report
        ("the auditor", 404),  # engaged for 2026, not 2027
        ("viewer", 403),  # sees the report, does not edit it
        ("reviewer", 403),
        ("program_admin", 403),
    ],
)
def test_those_who_may_not_edit_the_next_report_are_refused(
    request, client, attested, next_report, who, status
):
    person = attested.auditor if who == "the auditor" else request.getfixturevalue(who)
    client.force_login(person)

    assert post(client, next_report, attested.nonconformity).status_code == status
    assert reloaded(attested.nonconformity).followed_up_in is None


@pytest.mark.parametrize("who", ["officer", "contributor"])
def test_officers_and_contributors_write_it(request, client, attested, next_report, who):
    person = request.getfixturevalue(who)
    client.force_login(person)

    assert post(client, next_report, attested.nonconformity).status_code == 302
    assert reloaded(attested.nonconformity).followed_up_by == person


def test_a_finding_this_report_does_not_follow_up_is_not_found(
    client, attested, next_report, officer, other_officer, other_org, next_period
):
    from commitments.services.reports import report_create

    client.force_login(officer)
    for report, finding in (
        (next_report, attested.observation),  # not a nonconformity
        (attested.audited, attested.nonconformity),  # the audited report itself
    ):
        assert post(client, report, finding).status_code == 404
    absent = Finding(pk=987654)
    assert post(client, next_report, absent).status_code == 404

    theirs = report_create(organisation=other_org, period=next_period, acting_user=other_officer)
    client.force_login(other_officer)
    assert post(client, theirs, attested.nonconformity).status_code == 404
    assert reloaded(attested.nonconformity).followed_up_in is None


def test_get_is_not_allowed(client, attested, next_report, officer):
    client.force_login(officer)

    assert client.get(save_url(next_report, attested.nonconformity)).status_code == 405


# --- the dashboard ------------------------------------------------------------------------------


def test_the_dashboard_links_to_the_follow_up_in_the_next_report(client, attested, next_report, officer):
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    link = edit_url(next_report) + f"#follow-up-{attested.nonconformity.pk}"
    assert f'href="{link}">Follow it up in your 2027 report</a>' in page


def test_without_a_next_report_the_dashboard_says_which_report_to_start(
    client, attested, next_period, officer
):
    client.force_login(officer)

    assert "Start your 2027 report to follow this up." in client.get(DASHBOARD).content.decode()


def test_without_a_later_period_the_dashboard_says_to_start_the_next_report(client, attested, officer):
    client.force_login(officer)

    assert "Start your next report to follow this up." in client.get(DASHBOARD).content.decode()


def test_once_followed_up_it_leaves_the_dashboard(client, attested, next_report, officer):
    follow_up(attested.nonconformity, next_report, officer)
    client.force_login(officer)

    assert "Corrective actions to follow up" not in client.get(DASHBOARD).content.decode()


def test_a_next_report_handed_in_without_it_is_said_on_the_dashboard(
    client, attested, next_report, officer, reviewer
):
    advance(next_report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    client.force_login(officer)

    page = client.get(DASHBOARD).content.decode()

    assert (
        "Not followed up: your 2027 report is submitted; it can be followed up there if the reviewer" in page
    )


def test_contributors_see_where_to_follow_it_up_and_viewers_do_not(
    client, attested, next_report, contributor, viewer
):
    client.force_login(contributor)
    page = client.get(DASHBOARD).content.decode()
    assert "Follow it up in your 2027 report" in page
    # The company's response to the finding is the officers' to write.
    assert reverse("audits:finding_respond", args=[attested.nonconformity.pk]) not in page

    client.force_login(viewer)
    assert "Corrective actions to follow up" not in client.get(DASHBOARD).content.decode()


def test_the_dashboard_query_count_does_not_grow_with_corrective_actions(
    client, attested, solo, next_report, officer, org, period, program_admin, django_assert_max_num_queries
):
    from tests.audits.builders import engagement_for

    client.force_login(officer)
    client.get(DASHBOARD)
    # 13: the dashboard's 11, plus the organisation's reports and periods to say where each corrective
    # action is followed up, whatever their number.
    with django_assert_max_num_queries(13) as one:
        assert client.get(DASHBOARD).content.decode().count("Follow it up in your 2027 report") == 1

    # A second engagement of the same report, attested with a nonconformity on another item.
    auditor = UserFactory(platform_role="auditor")
    second = engagement_for(
        auditor, organisations=[org], periods=[period], admin=program_admin, title="Second"
    )
    audit_and_attest(second, [solo.items[1], solo.items[0], solo.items[2]], auditor)

    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(DASHBOARD).content.decode()
    assert page.count("Follow it up in your 2027 report") == 2


# --- the reviewer's page and the history ----------------------------------------------------------


def test_the_reviewer_reads_the_follow_up_on_the_items_review(
    client, attested, next_report, officer, reviewer
):
    follow_up(attested.nonconformity, next_report, officer, text=HOSTILE)
    in_review = advance(next_report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    client.force_login(reviewer)

    page = client.get(reverse("commitments:report_review", args=[in_review.pk])).content.decode()

    item = item_like(in_review, attested.nonconformity)
    start = page.index(f'id="item-{item.pk}"')
    card = page[start : page.index("</section>\n", page.index("Discussion", start))]
    assert PANEL_TITLE in card
    assert CORRECTIVE in card
    assert ESCAPED in card
    assert "<script>alert" not in page
    assert save_url(in_review, attested.nonconformity) not in page


def test_the_reviewer_is_told_when_a_report_does_not_follow_it_up(
    client, attested, next_report, officer, reviewer
):
    in_review = advance(next_report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    client.force_login(reviewer)

    page = client.get(reverse("commitments:report_review", args=[in_review.pk])).content.decode()

    assert PANEL_TITLE in page
    assert "Not followed up in this report." in page


def test_the_next_reports_history_tells_the_follow_up(client, attested, next_report, officer):
    follow_up(attested.nonconformity, next_report, officer)
    client.force_login(officer)

    rows = client.get(reverse("commitments:report_history", args=[next_report.pk])).context["rows"]

    [row] = [row for row in rows if row.event == LedgerEvent.FINDING_FOLLOWED_UP]
    assert row.label == "Audit corrective action followed up"
    assert row.node == attested.nonconformity.item.node.node_id
    assert row.summary.startswith("Of the 2026 audit: Since 1 March")
