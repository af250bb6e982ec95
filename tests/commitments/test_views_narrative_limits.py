"""Narratives in the workspace and review pages: over the limits they are refused when saved (the
form keeps the text) and, when already stored, every page still shows them, as escaped text."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given, settings

from commitments.models import FrameworkNode, ItemResponse, LedgerEntry
from commitments.services.reports import report_create
from tests.builders import advance, item_form_data, period_for
from tests.hostile_text import deep_nesting, storable_markdown

pytestmark = pytest.mark.django_db

NESTING_MESSAGE = (
    "Nesting is limited to 20 levels (lists inside lists, quotes inside quotes, indented blocks)"
)


def edit_url(report):
    return reverse("commitments:report_edit", kwargs={"report_id": report.pk})


def save_url(item):
    return reverse("commitments:item_save", kwargs={"report_id": item.report_id, "item_id": item.pk})


def preview_url(item):
    return reverse("commitments:item_preview", kwargs={"report_id": item.report_id, "item_id": item.pk})


def review_url(report):
    return reverse("commitments:report_review", kwargs={"report_id": report.pk})


def first_item(report):
    return report.items.select_related("node").order_by("node__position").first()


def store_as_before_the_limits(item, text):
    """Write the text straight into the row, as a save made before the limits existed did."""
    ItemResponse.objects.filter(pk=item.pk).update(narrative=text, areas_needing_progress=text)


@pytest.fixture
def item(report):
    return first_item(report)


# --- saving --------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [300, 5_000])
@pytest.mark.parametrize("kind", list(deep_nesting(1)))
def test_the_editor_refuses_deep_nesting_naming_the_limit_and_keeps_the_text(
    client, officer, item, kind, levels
):
    text = "What we did:\n\n" + deep_nesting(levels)[kind]
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item, narrative=text))

    page = response.content.decode()
    assert response.status_code == 400
    assert NESTING_MESSAGE in page
    assert "levels at line 3." in page
    assert escape(text) in page  # nothing typed is lost
    saved = ItemResponse.objects.get(pk=item.pk)
    assert (saved.narrative, saved.status, saved.version) == ("", "", 1)
    assert not LedgerEntry.objects.filter(event="item.updated").exists()


def test_the_editor_refuses_over_long_areas_needing_progress_next_to_that_field(client, officer, item):
    client.force_login(officer)

    response = client.post(
        save_url(item),
        item_form_data(item, areas_needing_progress="x" * 20_001),
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Text is limited to 20,000 characters; this text has 20,001." in page
    assert ItemResponse.objects.get(pk=item.pk).version == 1


def test_the_editor_refuses_an_over_long_metric_data_source(client, officer, item):
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item, metric_reports_source="y" * 20_001))

    assert response.status_code == 400
    assert "Reports made, data source: Text is limited to 20,000 characters" in response.content.decode()
    assert not item.metric_values.exists()


def test_an_unchanged_narrative_saved_before_the_limits_does_not_block_other_changes(client, officer, item):
    old = deep_nesting(300)["quotes"]
    store_as_before_the_limits(item, old)
    client.force_login(officer)

    response = client.post(save_url(item), item_form_data(item, narrative=old, areas_needing_progress=old))

    assert response.status_code == 302
    saved = ItemResponse.objects.get(pk=item.pk)
    assert (saved.status, saved.narrative, saved.version) == ("in_progress", old, 2)


def test_the_preview_says_why_a_narrative_cannot_be_saved_and_shows_it_as_plain_text(client, officer, item):
    text = deep_nesting(5_000)["mixed"] + " <script>alert(1)</script>"
    client.force_login(officer)

    response = client.post(
        preview_url(item), {f"item-{item.pk}-narrative": text}, headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert NESTING_MESSAGE in page
    assert "the preview below shows it as plain text" in page
    assert "&gt; - 1. &gt; - 1." in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "<blockquote>" not in page


def test_the_preview_without_javascript_also_says_why(client, officer, item):
    client.force_login(officer)
    data = item_form_data(item, narrative="[" * 5_000)
    data["preview"] = "1"

    response = client.post(save_url(item), data)

    assert response.status_code == 200
    assert "may hold at most 32 of the characters “[” and “`”" in response.content.decode()
    assert ItemResponse.objects.get(pk=item.pk).version == 1


# --- what is already stored -----------------------------------------------------------------------


@pytest.fixture
def reviewed_item(report, officer, reviewer):
    advance(report, "in_review", officer=officer, reviewer=reviewer)
    return first_item(report)


@pytest.mark.parametrize("levels", [300, 5_000])
@pytest.mark.parametrize("kind", list(deep_nesting(1)))
def test_a_stored_deep_narrative_shows_on_the_workspace_and_review_pages(
    client, officer, reviewer, reviewed_item, kind, levels
):
    text = deep_nesting(levels)[kind]
    store_as_before_the_limits(reviewed_item, text)

    for user, url in (
        (officer, edit_url(reviewed_item.report)),
        (reviewer, review_url(reviewed_item.report)),
    ):
        client.force_login(user)
        response = client.get(url)

        page = response.content.decode()
        assert response.status_code == 200, url
        assert escape(text[-18:]) in page  # the end of the narrative, as text
        assert page.count(escape(text[:40])) >= 2, url  # narrative and areas, escaped


def test_a_stored_deep_framework_guidance_shows_on_the_editor(client, officer, item):
    FrameworkNode.objects.filter(pk=item.node_id).update(
        description=deep_nesting(5_000)["bullets"], example_disclosure="[" * 8_000
    )
    client.force_login(officer)

    response = client.get(edit_url(item.report))

    page = response.content.decode()
    assert response.status_code == 200
    assert "- - - - - - - - - - - - - - - - - the deepest bullet</p>" in page
    assert "[[[[[[[[[[" in page


@pytest.fixture
def pages(report, officer, reviewer, org):
    """A draft (editor, preview) and a report in review (read-only editor, reviewer's page)."""
    in_review = report_create(
        organisation=org, period=period_for(report.period.framework, "2027", 2027), acting_user=officer
    )
    advance(in_review, "in_review", officer=officer, reviewer=reviewer)
    return {"draft": first_item(report), "in_review": first_item(in_review)}


@settings(max_examples=15)
@given(text=storable_markdown)
def test_no_page_showing_a_narrative_fails_whatever_is_stored(client, officer, reviewer, pages, text):
    cache.clear()
    for item in pages.values():
        store_as_before_the_limits(item, text)
    FrameworkNode.objects.filter(pk=pages["draft"].node_id).update(description=text, evidence_expected=text)
    client.force_login(officer)
    draft = pages["draft"]

    responses = [
        client.get(edit_url(draft.report)),
        client.get(edit_url(pages["in_review"].report)),
        client.post(preview_url(draft), {f"item-{draft.pk}-narrative": text}, headers={"HX-Request": "true"}),
    ]
    client.force_login(reviewer)
    responses.append(client.get(review_url(pages["in_review"].report)))

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
