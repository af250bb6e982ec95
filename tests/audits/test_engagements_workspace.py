"""The auditor's workspace: every report in scope item by item, filters, progress, and the item page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import Finding
from commitments.vocabulary import FindingKind
from tests.audits.builders import engagement_for
from tests.audits.engagement_world import build_world, first_item
from tests.reports.public_builders import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, other_org, period, framework):
    return build_world(org, other_org, period, framework)


@pytest.fixture
def engagement(world, org, period, auditor, program_admin):
    return engagement_for(
        auditor, organisations=[org, world.empty_org], periods=[period], admin=program_admin
    )


def _finding(engagement, item, kind, auditor):
    # Recording findings is the work area's service; the workspace only reads them.
    return Finding.objects.create(
        engagement=engagement,
        item=item,
        kind=kind,
        description="Checked against the log.",
        recorded_by=auditor,
        recorded_at=timezone.now(),
    )


def test_it_shows_the_reports_in_scope_and_says_where_there_is_none(client, world, engagement, auditor):
    client.force_login(auditor)

    page = client.get(reverse("audits:workspace", args=[engagement.pk])).text

    assert "Harbour Labs has no report for this period yet" in page
    for item in world.report.items.all():
        assert reverse("audits:item", args=[engagement.pk, item.pk]) in page
    assert reverse("audits:item", args=[engagement.pk, world.other_org_item.pk]) not in page
    assert reverse("audits:item", args=[engagement.pk, world.other_period_item.pk]) not in page
    assert "0 of 3 items</strong> in scope have a finding" in page


def test_progress_and_the_finding_filter(client, world, engagement, auditor):
    _finding(engagement, world.item, FindingKind.OBSERVATION, auditor)
    client.force_login(auditor)
    url = reverse("audits:workspace", args=[engagement.pk])
    item_url = reverse("audits:item", args=[engagement.pk, world.item.pk])

    page = client.get(url).text
    assert "1 of 3 items</strong> in scope have a finding" in page

    observed = client.get(url, {"finding": "observation"}).text
    assert item_url in observed
    others = world.report.items.exclude(pk=world.item.pk)
    assert all(reverse("audits:item", args=[engagement.pk, other.pk]) not in observed for other in others)

    none_yet = client.get(url, {"finding": "none"}).text
    assert item_url not in none_yet
    assert "No finding yet" in none_yet


def test_the_status_and_verdict_filters(client, world, engagement, auditor):
    client.force_login(auditor)
    url = reverse("audits:workspace", args=[engagement.pk])

    assert "No item of this report matches the filters" in client.get(url, {"verdict": "verified"}).text
    assert "No item of this report matches the filters" in client.get(url, {"status": "implemented"}).text
    # A value that is no choice is no filter.
    page = client.get(url, {"status": "<script>", "finding": "' OR 1=1"}).text
    assert reverse("audits:item", args=[engagement.pk, world.item.pk]) in page
    assert "<script>" not in page.split("<main", 1)[1]


def test_the_workspace_reads_a_fixed_number_of_queries_per_report_not_per_item(
    client, world, engagement, auditor, django_assert_max_num_queries
):
    client.force_login(auditor)
    client.get(reverse("audits:workspace", args=[engagement.pk]))

    # 24 with the attestation's state and what is missing before it (a fixed few, not per item).
    with django_assert_max_num_queries(24):
        client.get(reverse("audits:workspace", args=[engagement.pk]))


def test_the_item_page_shows_the_answer_evidence_hashes_verdict_and_response(
    client, org, period, auditor, reviewer, program_admin
):
    report = published(
        org, period, reviewer=reviewer, admin=program_admin, restricted_title="Moderation records"
    )
    engagement = engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)
    item = first_item(report)
    evidence = item.evidence.get(visibility="restricted")
    client.force_login(auditor)

    page = client.get(reverse("audits:item", args=[engagement.pk, item.pk])).text

    assert f"We did it. ({item.node.node_id})" in page
    assert "Case system export" in page  # a metric's data source
    assert "Policy document seen." in page  # the reviewer's justification
    assert "Verified" in page
    assert evidence.sha256 in page
    assert reverse("commitments:evidence_download", args=[evidence.pk]) in page
    assert reverse("audits:evidence_preview", args=[engagement.pk, evidence.pk]) in page
    assert "No finding yet." in page
    assert "No company response." in page


# --- working through the items in turn -----------------------------------------------------------
# Found by the browser journey: with 21 items in scope the auditor went back to the workspace after
# every finding; the item page now leads to the previous and the next item in the workspace's order.


def _steps(client, engagement, item) -> tuple[str, str]:
    """The item page's (previous, next) links, as their HTML, or "" where there is none."""
    page = client.get(reverse("audits:item", args=[engagement.pk, item.pk])).content.decode()
    found = dict.fromkeys(("prev", "next"), "")
    for match in re.finditer(r'<a href="[^"]*" rel="(prev|next)">.*?</a>', page):
        found[match.group(1)] = match.group(0)
    return found["prev"], found["next"]


def _href(engagement, item) -> str:
    return reverse("audits:item", args=[engagement.pk, item.pk])


def test_the_item_page_leads_to_the_previous_and_next_items_of_the_scope(client, world, engagement, auditor):
    first, second, third = world.report.items.select_related("node").order_by("node__position")
    client.force_login(auditor)

    previous, following = _steps(client, engagement, first)
    assert previous == ""
    assert f"{second.node.title} →" in following

    page = client.get(_href(engagement, second)).content.decode()
    assert f'<a href="{_href(engagement, first)}" rel="prev">' in page
    assert f'<a href="{_href(engagement, third)}" rel="next">' in page

    previous, following = _steps(client, engagement, third)
    assert second.node.title in previous
    assert following == ""
    for outside in (world.other_org_item, world.other_period_item):
        assert _href(engagement, outside) not in page


def test_the_next_item_crosses_into_the_next_report_of_the_scope_naming_it(
    client, world, org, other_org, period, auditor, program_admin
):
    later = world.other_period_report.period
    engagement = engagement_for(
        auditor, organisations=[org, other_org], periods=[period, later], admin=program_admin, title="Both"
    )
    bluefin_last = world.other_org_report.items.order_by("node__position").last()
    northwind_last = world.report.items.order_by("node__position").last()
    client.force_login(auditor)

    # Organisations by name (Bluefin Labs before Northwind Models), periods oldest first.
    _previous, following = _steps(client, engagement, bluefin_last)
    assert f'href="{_href(engagement, world.item)}"' in following
    assert "(Northwind Models, 2026)" in following
    _previous, following = _steps(client, engagement, northwind_last)
    assert f'href="{_href(engagement, world.other_period_item)}"' in following
    assert "(Northwind Models, 2027)" in following
    previous, _following = _steps(client, engagement, world.item)
    assert f'href="{_href(engagement, bluefin_last)}"' in previous
    assert "(Bluefin Labs, 2026)" in previous
