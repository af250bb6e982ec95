"""The public pages run the same number of queries for 2 organisations as for 6.

The cache is cleared before each request, so every count is of a full render.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import period_for
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8


def _world(framework, reviewer, admin, organisations: int):
    periods = [period_for(framework, label="2024", year=2024), period_for(framework, label="2025", year=2025)]
    for n in range(organisations):
        org = committed_org(framework, f"Lab {n}", slug=f"lab-{n}")
        for period in periods:
            published(org, period, reviewer=reviewer, admin=admin, restricted_title="Memo")
    committed_org(framework, "Silent Corp")


URLS = [
    reverse("home"),
    reverse("home") + "?principle=tiny.p1",
    reverse("home") + "?period=2024",
    reverse("public:organisation", args=["lab-0"]),
    reverse("public:report", args=["lab-0", "tiny", "2025"]),
    reverse("public:item", args=["lab-0", "tiny", "2025", "tiny.p1.m1"]),
    reverse("public:methodology"),
    reverse("public:corrections"),
]


def _count(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", URLS)
def test_the_number_of_queries_does_not_grow_with_the_number_of_organisations(
    client, framework, reviewer, program_admin, url, django_assert_max_num_queries
):
    _world(framework, reviewer, program_admin, organisations=2)
    with_two = _count(client, url)
    for n in range(2, 6):
        org = committed_org(framework, f"Lab {n}", slug=f"lab-{n}")
        for label in ("2024", "2025"):
            published(org, framework.periods.get(label=label), reviewer=reviewer, admin=program_admin)

    assert _count(client, url) == with_two
    cache.clear()
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)


def test_a_cached_page_runs_no_query(client, framework, reviewer, program_admin, django_assert_num_queries):
    _world(framework, reviewer, program_admin, organisations=2)
    client.get(reverse("home"))
    with django_assert_num_queries(0):
        assert client.get(reverse("home")).status_code == 200
