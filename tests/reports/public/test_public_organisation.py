import datetime
import re
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.urls import reverse

from tests.builders import period_for
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(framework, reviewer, program_admin):
    org = committed_org(framework, "Acme Labs")
    published(
        org,
        period_for(framework, label="2024", year=2024),
        reviewer=reviewer,
        admin=program_admin,
        statuses=["implemented", "planned", "planned"],
        verdicts=["verified", "not_verified", "not_verified"],
    )
    period_for(framework, label="2025", year=2025)  # due in 2026: not reported, and may not be due yet
    published(
        org,
        period_for(framework, label="2023", year=2023),
        reviewer=reviewer,
        admin=program_admin,
        statuses=["planned", "planned", "planned"],
        verdicts=["not_verified"] * 3,
    )
    return org  # fmt: skip


def _page(client, slug="acme-labs"):
    return client.get(reverse("public:organisation", args=[slug]))


def test_it_shows_the_commitment_with_date_signatory_statement_and_cadence(client, acme):
    body = _page(client).content.decode()
    assert "23 Apr 2024" in body
    assert "A. Signatory, Chief Executive" in body
    assert 'href="https://example.test/statement"' in body
    assert "Annual" in body


def test_it_lists_every_published_period_with_links(client, acme):
    response = _page(client)
    (timeline,) = response.context["page"].timelines
    assert [e.period.label for e in timeline.published_entries] == ["2023", "2024"]
    body = response.content.decode()
    assert reverse("public:report", args=["acme-labs", "tiny", "2023"]) in body
    assert reverse("public:report", args=["acme-labs", "tiny", "2024"]) in body


def test_it_summarises_each_principle_of_the_latest_report(client, acme):
    response = _page(client)
    (timeline,) = response.context["page"].timelines
    assert timeline.latest.period.label == "2024"
    (group,) = timeline.latest_groups
    assert group.summary.text == "1/3 implemented · 1 verified"
    assert (
        reverse("public:item", args=["acme-labs", "tiny", "2024", "tiny.p1.m1"]) in response.content.decode()
    )


def test_the_progress_chart_is_valid_svg_with_a_text_alternative(client, acme):
    body = _page(client).content.decode()

    (svg_text,) = re.findall(r"<svg.*?</svg>", body, flags=re.S)
    svg = ET.fromstring(svg_text)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.get("role") == "img"
    assert "Progress on" in svg.find("svg:title", ns).text
    assert (
        "2023: 0% implemented, 0% verified; 2024: 33% implemented, 33% verified"
        in svg.find("svg:desc", ns).text
    )
    assert "<table" in body and "text version of the chart" in body
    assert "<script" not in body.split('<main id="main">')[1]


def test_a_period_that_was_due_and_not_published_is_listed_as_not_reported(client, framework, acme):
    period_for(framework, label="2022", year=2022)  # ended before the organisation signed: not listed
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)):  # 2025 was due 31 March
        response = _page(client)
    (timeline,) = response.context["page"].timelines
    assert [(e.period.label, e.publication is not None) for e in timeline.entries] == [
        ("2023", True),
        ("2024", True),
        ("2025", False),
    ]
    assert "no published report" in response.content.decode()


def test_it_leaves_a_marked_place_for_pdf_reports(client, acme):
    assert "Signed PDF not yet available" in _page(client).content.decode()


def test_unknown_and_uncommitted_organisations_are_404(client, acme):
    from tests.factories import OrganisationFactory

    OrganisationFactory(name="Unsigned Systems", slug="unsigned")
    assert _page(client, "nobody").status_code == 404
    assert _page(client, "unsigned").status_code == 404
