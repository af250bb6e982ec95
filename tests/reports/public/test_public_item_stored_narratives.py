"""The public item page shows whatever a published snapshot holds, however deep or hostile."""

import itertools

import pytest
from django.core.cache import cache
from django.utils.html import escape
from hypothesis import given, settings

from tests.builders import period_for
from tests.hostile_text import deep_nesting, storable_markdown
from tests.reports.narrative_builders import (
    public_item_url,
    published_with_narrative,
    republish_with_narrative,
)
from tests.reports.public_builders import committed_org

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("levels", [300, 5_000])
@pytest.mark.parametrize("kind", list(deep_nesting(1)))
def test_a_published_deep_narrative_shows_as_escaped_text(
    client, framework, reviewer, program_admin, kind, levels
):
    deep = deep_nesting(levels)[kind]
    text = deep + "\n\n<script>alert(1)</script>"
    organisation = committed_org(framework, "Acme Labs")
    report = published_with_narrative(
        organisation, period_for(framework), text, reviewer=reviewer, admin=program_admin
    )

    response = client.get(public_item_url(report, "tiny.p1.m1"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(escape(deep[-20:])) == 2  # the narrative and the areas still needing progress
    assert escape(deep[:60]) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


@pytest.fixture
def public_report(framework, reviewer, program_admin):
    organisation = committed_org(framework, "Acme Labs")
    return published_with_narrative(
        organisation, period_for(framework), "First version.", reviewer=reviewer, admin=program_admin
    )


@settings(max_examples=15)
@given(text=storable_markdown)
def test_the_public_item_page_never_fails_whatever_a_snapshot_holds(
    client, program_admin, public_report, text
):
    republish_with_narrative(public_report, text, admin=program_admin, version=next(_versions))
    cache.clear()

    response = client.get(public_item_url(public_report, "tiny.p1.m1"))

    assert response.status_code == 200


_versions = itertools.count(2)
