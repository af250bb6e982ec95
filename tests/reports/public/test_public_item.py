import datetime

import pytest
from django.urls import reverse

from commitments.models import Evidence
from commitments.services.reports import report_create, report_submit
from commitments.services.reviews import company_response_add
from reports.services import report_publish
from tests.builders import period_for
from tests.reports.public_builders import committed_org, fill, officer_of, published, verify

pytestmark = pytest.mark.django_db


def _item_url(period="2025", node="tiny.p1.m1", slug="acme-labs"):
    return reverse("public:item", args=[slug, "tiny", period, node])


@pytest.fixture
def acme(framework, reviewer, program_admin):
    org = committed_org(framework, "Acme Labs")
    published(
        org,
        period_for(framework, label="2024", year=2024),
        reviewer=reviewer,
        admin=program_admin,
        statuses=["planned", "planned", "planned"],
        metric_value=5,
        narrative="Planned for next year",
    )
    officer = officer_of(org)
    report = report_create(
        organisation=org, period=period_for(framework, label="2025", year=2025), acting_user=officer
    )
    fill(
        report,
        officer,
        narrative="**Done** with <script>alert(1)</script>",
        restricted_title="Internal audit memo",
    )
    report = report_submit(report=report, acting_user=officer)
    report = verify(
        report,
        reviewer,
        verdicts=["verified", "partially_verified", "verified"],
        justification="Saw the policy and the case export.",
    )
    company_response_add(
        item=report.items.get(node__node_id="tiny.p1.m2"),
        acting_user=officer,
        body="We disagree: the audit covers it.",
    )
    return report_publish(report=report, acting_user=program_admin).report


def test_the_item_page_shows_status_narrative_metrics_and_the_review(client, acme):
    body = client.get(_item_url()).content.decode()
    assert "Implemented" in body
    assert "Reviewer-verified" in body
    assert "<strong>Done</strong>" in body
    assert "<script>alert" not in body  # sanitised Markdown
    assert "Reports made" in body and "12" in body and "Case system export" in body
    assert "Saw the policy and the case export." in body


def test_the_company_response_shows_next_to_a_partial_verdict(client, acme):
    body = client.get(_item_url(node="tiny.p1.m2")).content.decode()
    assert "Partially verified" in body
    assert "Self-reported" in body  # partially verified is not reviewer-verified
    assert "We disagree: the audit covers it." in body


def test_public_evidence_shows_its_link_and_date_and_restricted_evidence_only_its_hash(client, acme):
    restricted = Evidence.objects.get(
        item__report=acme, item__node__node_id="tiny.p1.m1", visibility="restricted"
    )

    body = client.get(_item_url()).content.decode()

    assert 'href="https://example.test/policy/tiny.p1.m1"' in body
    assert "Public policy for tiny.p1.m1" in body
    assert "2026-02-01" in body
    assert "Restricted — hash only" in body
    assert restricted.sha256 in body
    assert "Internal audit memo" not in body
    assert restricted.storage_name not in body


def test_it_says_what_changed_since_the_previous_published_period(client, acme):
    page = client.get(_item_url()).context["page"]
    changes = {c.label: (c.before, c.after) for c in page.changes}
    assert changes["Status"] == ("Planned", "Implemented")
    assert changes["Narrative"] == ("earlier text", "rewritten")
    assert changes["Reports made"] == ("5 count", "12 count")
    assert page.previous_url == _item_url(period="2024")


def test_three_clicks_lead_from_the_matrix_to_an_evidence_hash(client, acme):
    restricted = Evidence.objects.get(
        item__report=acme, item__node__node_id="tiny.p1.m3", visibility="restricted"
    )
    matrix = client.get(reverse("home"), {"period": "2025"})
    principle_url = matrix.context["m"].rows[0].cells[0].url
    assert principle_url.replace("&", "&amp;") in matrix.content.decode()  # click 1

    drill_down = client.get(principle_url)
    item_url = drill_down.context["m"].rows[0].cells[2].url
    assert item_url in drill_down.content.decode()  # click 2

    assert restricted.sha256 in client.get(item_url).content.decode()  # the hash is on that page


def test_the_report_page_lists_every_item_with_links(client, acme):
    body = client.get(reverse("public:report", args=["acme-labs", "tiny", "2025"])).content.decode()
    for node in ("tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"):
        assert _item_url(node=node) in body
    assert acme.publications.get().snapshot_sha256 in body


@pytest.mark.parametrize(
    "args",
    [
        ["nobody", "tiny", "2025", "tiny.p1.m1"],
        ["acme-labs", "nope", "2025", "tiny.p1.m1"],
        ["acme-labs", "tiny", "1999", "tiny.p1.m1"],
        ["acme-labs", "tiny", "2025", "tiny.p1.m9"],
        ["acme-labs", "tiny", "2025", "tiny.p1"],
    ],
)
def test_unknown_organisation_period_or_item_is_404(client, acme, args):
    assert client.get(reverse("public:item", args=args)).status_code == 404


def test_an_unknown_version_is_404(client, acme):
    assert (
        client.get(reverse("public:report_version", args=["acme-labs", "tiny", "2025", 7])).status_code == 404
    )


@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("public:methodology"),
        reverse("public:corrections"),
        reverse("public:organisation", args=["acme-labs"]),
        reverse("public:report", args=["acme-labs", "tiny", "2025"]),
        reverse("public:item", args=["acme-labs", "tiny", "2025", "tiny.p1.m1"]),
    ],
)
def test_public_pages_refuse_post_with_405_even_without_a_csrf_token(acme, url):
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post(url).status_code == 405


def test_an_effective_date_is_shown(client, acme):
    assert datetime.date(2026, 2, 1).isoformat() in client.get(_item_url(node="tiny.p1.m2")).content.decode()
