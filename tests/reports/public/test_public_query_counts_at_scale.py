"""The public pages' query counts on seed_scale data: the same for 3 organisations as for 8.

tests/reports/public/test_public_query_counts.py pins them on a three-item framework; here the data is
what `seed_scale` builds through the services on the real 21-mitigation Safety by Design framework,
and the world grows in organisations (the matrix), periods (an organisation's page and its chart)
and published items between the two counts. The cache is emptied before every request, so each
count is of a full render.
"""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import FrameworkNode

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8  # as in test_public_query_counts.py
ORG = "scale-test-org-001"


def _seed(orgs: int, periods: int) -> None:
    # --force: seed_scale refuses to run with DEBUG off, as the test settings have it.
    call_command(
        "seed_scale",
        *("--orgs", str(orgs), "--periods", str(periods), "--force"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def _urls() -> dict[str, str]:
    item = FrameworkNode.objects.filter(framework__key="sbd", reportable=True).order_by("position").first()
    return {
        "matrix": reverse("home"),
        "matrix, principle drill-down": reverse("home") + f"?principle={item.parent.node_id}",
        # A period with one before it: the first period has no change to compare, one query fewer.
        "matrix, period and framework chosen": reverse("home") + "?framework=sbd&period=2023",
        "organisation": reverse("public:organisation", args=[ORG]),
        "report": reverse("public:report", args=[ORG, "sbd", "2023"]),
        "item": reverse("public:item", args=[ORG, "sbd", "2023", item.node_id]),
        "open data period": reverse("data:period", args=["sbd", "2023"]),
    }


def _counts(client, urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(queries)
    return counts


def test_public_pages_run_as_many_queries_for_8_organisations_as_for_3(client):
    _seed(orgs=3, periods=2)
    urls = _urls()
    small = _counts(client, urls)
    assert "Scale Test Org 003" in client.get(urls["matrix"]).content.decode()

    _seed(orgs=8, periods=3)  # 5 more organisations, and a third period for everyone
    large = _counts(client, urls)
    assert "Scale Test Org 008" in client.get(urls["matrix"]).content.decode()

    assert large == small
    assert max(large.values()) <= MAX_QUERIES, large
