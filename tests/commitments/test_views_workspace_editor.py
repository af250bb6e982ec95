import pytest
from django.urls import reverse

from commitments.models import LedgerEntry, MetricValue, ReportStatus
from commitments.services.reports import item_update
from tests.builders import advance, item_form_data, small_framework
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def edit_url(report):
    return reverse("commitments:report_edit", kwargs={"report_id": report.pk})


def save_url(item):
    return reverse("commitments:item_save", kwargs={"report_id": item.report_id, "item_id": item.pk})


def preview_url(item):
    return reverse("commitments:item_preview", kwargs={"report_id": item.report_id, "item_id": item.pk})


@pytest.fixture
def item(report):
    """The first item; it carries the required 'reports made' metric."""
    return report.items.select_related("node").order_by("node__position").first()


# --- reading the editor -------------------------------------------------------------------------


def test_the_editor_sends_anonymous_visitors_to_login(client, report):
    response = client.get(edit_url(report))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_editor_is_a_404_for_another_organisation(client, other_officer, report):
    client.force_login(other_officer)

    assert client.get(edit_url(report)).status_code == 404


def test_the_editor_shows_the_framework_tree_with_forms_and_guidance(client, officer, report):
    node = report.items.select_related("node").order_by("node__position").first().node
    node.evidence_expected = "A written hash-matching policy."
    node.verification_criteria = "The policy names the hash lists used."
    node.example_disclosure = "We match uploads against **industry** hash lists."
    node.save()
    client.force_login(officer)

    response = client.get(edit_url(report))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Principle one" in page
    assert page.index("Mitigation 1") < page.index("Mitigation 2") < page.index("Mitigation 3")
    assert page.count("Save item") == 3
    assert "A written hash-matching policy." in page
    assert "What a reviewer needs to see to verify" in page
    assert "<strong>industry</strong>" in page
    assert "Reports made" in page and "data source required" in page
    assert "Submit for review" in page


def test_a_viewer_sees_the_report_read_only(client, viewer, report):
    client.force_login(viewer)

    page = client.get(edit_url(report)).content.decode()

    assert "Save item" not in page
    assert "Attach evidence" not in page
    assert "Submit for review" not in page
    assert "read-only access" in page


def test_a_reviewer_can_read_a_report_but_not_edit_it(client, reviewer, report):
    client.force_login(reviewer)

    response = client.get(edit_url(report))

    assert response.status_code == 200
    assert "Save item" not in response.content.decode()


def test_a_contributor_can_draft_but_is_told_only_officers_submit(client, contributor, report):
    client.force_login(contributor)

    page = client.get(edit_url(report)).content.decode()

    assert "Save item" in page
    assert "Submit for review" not in page
    assert "Only the organisation’s compliance officers can submit the report." in page


def test_a_submitted_report_is_read_only_even_for_its_officer(client, officer, reviewer, report):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    client.force_login(officer)

    page = client.get(edit_url(report)).content.decode()

    assert "Save item" not in page
    assert "Submit for review" not in page
    assert "can no longer be edited" in page
    assert "Scheduled for the next quarter." in page


def test_the_editor_query_count_does_not_grow_with_the_number_of_items(client, django_assert_max_num_queries):
    from commitments.models import Membership
    from commitments.services.reports import report_create
    from tests.builders import commit, period_for
    from tests.factories import MembershipFactory

    counts = []
    for size in (2, 12):
        framework = small_framework(key=f"size{size}", items=size)
        org = OrganisationFactory()
        commit(org, framework)
        officer = MembershipFactory(organisation=org, role=Membership.Role.OFFICER).user
        report = report_create(organisation=org, period=period_for(framework), acting_user=officer)
        client.force_login(officer)
        with django_assert_max_num_queries(14) as captured:
            response = client.get(edit_url(report))
        assert response.content.decode().count("Save item") == size
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


# --- saving an item -------------------------------------------------------------------------------


def test_an_htmx_save_returns_the_items_fragment_and_saves_through_the_service(client, officer, item):
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item), headers={"HX-Request": "true"})

    assert response.status_code == 200
    page = response.content.decode()
    assert not page.lstrip().startswith("<!doctype")
    assert f'id="item-{item.pk}"' in page
    assert "Saved (version 2)" in page
    item.refresh_from_db()
    assert item.version == 2
    assert item.status == "in_progress"
    assert item.narrative == "We hash-match every upload against known material."
    assert MetricValue.objects.get(item=item).data_source == "Case system export, 2026"
    assert LedgerEntry.objects.filter(event="item.updated", report_id=item.report_id).count() == 1


def test_a_save_without_javascript_redirects_to_the_item_with_a_message(client, officer, item):
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item))

    assert response.status_code == 302
    assert response["Location"] == f"{edit_url(item.report)}#item-{item.pk}"
    item.refresh_from_db()
    assert item.version == 2
    page = client.get(response["Location"]).content.decode()
    assert "Saved “Mitigation 1”." in page


def test_a_contributor_can_save_an_item(client, contributor, item):
    client.force_login(contributor)

    response = client.post(save_url(item), item_form_data(item))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.updated_by == contributor


def test_saving_an_item_needs_login(client, item):
    response = client.post(save_url(item), item_form_data(item))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.version == 1


def test_another_organisation_cannot_save_an_item(client, other_officer, item):
    client.force_login(other_officer)

    response = client.post(save_url(item), item_form_data(item))

    assert response.status_code == 404
    item.refresh_from_db()
    assert item.version == 1


def test_a_viewer_cannot_save_an_item(client, viewer, item):
    client.force_login(viewer)

    response = client.post(save_url(item), item_form_data(item))

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.version == 1


def test_an_item_of_another_report_is_not_found_through_this_report(client, officer, other_officer, item):
    from commitments.services.reports import report_create

    other = report_create(
        organisation=other_officer.memberships.get().organisation,
        period=item.report.period,
        acting_user=other_officer,
    )
    foreign = other.items.first()
    client.force_login(officer)

    url = reverse("commitments:item_save", kwargs={"report_id": item.report_id, "item_id": foreign.pk})
    response = client.post(url, item_form_data(foreign))

    assert response.status_code == 404


def test_a_stale_save_shows_both_versions_and_keeps_the_users_input(client, officer, contributor, item):
    item_update(
        item=item,
        acting_user=contributor,
        expected_version=1,
        status="planned",
        narrative="Colleague's saved narrative.",
    )
    client.force_login(officer)

    response = client.post(
        save_url(item),
        item_form_data(item, expected_version=1, narrative="My own careful narrative."),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Colleague&#x27;s saved narrative." in page
    assert "My own careful narrative." in page
    assert "someone else changed this item" in page
    assert f'name="item-{item.pk}-expected_version" value="2"' in page
    item.refresh_from_db()
    assert item.narrative == "Colleague's saved narrative."

    resaved = client.post(
        save_url(item),
        item_form_data(item, expected_version=2, narrative="My own careful narrative."),
        headers={"HX-Request": "true"},
    )
    assert resaved.status_code == 200
    item.refresh_from_db()
    assert item.narrative == "My own careful narrative."


def test_a_stale_save_without_javascript_shows_the_whole_editor_with_both_versions(
    client, officer, contributor, item
):
    item_update(item=item, acting_user=contributor, expected_version=1, narrative="Saved by a colleague.")
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item, expected_version=1, narrative="Mine."))

    assert response.status_code == 409
    page = response.content.decode()
    assert "<!doctype html>" in page
    assert "Saved by a colleague." in page
    assert "Mine.</textarea>" in page


def test_an_invalid_metric_value_is_shown_back_intact_with_the_error(client, officer, item):
    client.force_login(officer)

    response = client.post(
        save_url(item),
        item_form_data(item, metric_reports_value="about forty", narrative="Kept narrative."),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="about forty"' in page
    assert "is not a number" in page
    assert "Kept narrative." in page
    item.refresh_from_db()
    assert item.version == 1
    assert not MetricValue.objects.filter(item=item).exists()


def test_a_percentage_above_100_is_refused_next_to_its_field(client, officer, report):
    from commitments.models import MetricDefinition

    item = report.items.select_related("node").order_by("node__position").last()
    MetricDefinition.objects.create(node=item.node, key="share", name="Share reviewed", unit="percent")
    client.force_login(officer)

    response = client.post(
        save_url(item),
        {
            f"item-{item.pk}-expected_version": 1,
            f"item-{item.pk}-status": "planned",
            f"item-{item.pk}-metric_share_value": "140",
        },
    )

    assert response.status_code == 400
    assert "Share reviewed must be between 0 and 100." in response.content.decode()


def test_an_edit_clears_the_carried_forward_mark(client, officer, item):
    item.carried_forward = True
    item.save(update_fields=["carried_forward"])
    client.force_login(officer)

    page = client.get(edit_url(item.report)).content.decode()
    assert "carried forward — unchanged" in page

    response = client.post(save_url(item), item_form_data(item), headers={"HX-Request": "true"})

    assert "carried forward — unchanged" not in response.content.decode()
    item.refresh_from_db()
    assert not item.carried_forward


def test_saving_an_item_of_a_submitted_report_is_refused_with_the_reason(client, officer, reviewer, item):
    advance(item.report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    item.refresh_from_db()
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item), headers={"HX-Request": "true"})

    assert response.status_code == 409
    assert "items can be edited only in a draft" in response.content.decode()


# --- narrative preview ------------------------------------------------------------------------------


def test_the_preview_returns_sanitised_html(client, officer, item):
    client.force_login(officer)

    response = client.post(
        preview_url(item),
        {f"item-{item.pk}-narrative": "**Hash** matching <script>alert(1)</script>"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>Hash</strong>" in page
    assert "<script>" not in page


def test_the_preview_without_javascript_renders_the_editor_and_saves_nothing(client, officer, item):
    client.force_login(officer)

    data = item_form_data(item, narrative="_Draft_ text")
    data["preview"] = "1"
    response = client.post(save_url(item), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<em>Draft</em>" in page
    assert "_Draft_ text</textarea>" in page
    item.refresh_from_db()
    assert item.version == 1


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("other_officer", 404), ("viewer", 403), ("contributor", 200)]
)
def test_the_preview_follows_the_access_ladder(client, request, item, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post(preview_url(item), {f"item-{item.pk}-narrative": "Hello"})

    assert response.status_code == status
