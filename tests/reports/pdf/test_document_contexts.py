"""What the document builders read, and how much: fixed query counts, the trend, remote URLs refused."""

import datetime
import socket

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import ReportingPeriod
from commitments.services.reviews import comment_add
from reports.pdf.audit import audit_report_context
from reports.pdf.common import markdown_html
from reports.pdf.render import html_to_pdf
from reports.pdf.summary import program_summary_context
from tests.builders import period_for, small_framework
from tests.reports.public_builders import committed_org, published


def _queries(function, *args) -> int:
    with CaptureQueriesContext(connection) as captured:
        function(*args)
    return len(captured)


@pytest.mark.django_db
def test_the_audit_context_runs_the_same_queries_for_3_or_8_items(reviewer, program_admin):
    small = small_framework("small", items=3)
    large = small_framework("large", items=8)
    reports = []
    for number, framework in enumerate((small, large)):
        organisation = committed_org(framework, f"Organisation {number}")
        reports.append(
            published(
                organisation,
                period_for(framework),
                reviewer=reviewer,
                admin=program_admin,
                restricted_title="Internal memo",
            )
        )

    counts = [_queries(audit_report_context, report) for report in reports]
    context = audit_report_context(reports[1])

    assert counts[0] == counts[1] <= 14
    assert len(context["items"]) == 8
    assert sum(len(item["evidence"]) for item in context["items"]) == 16


@pytest.mark.django_db
def test_the_audit_context_keeps_comments_and_verdicts_of_every_round(report, officer, reviewer):
    from tests.builders import advance

    report = advance(report, "changes_requested", officer=officer, reviewer=reviewer)
    item = report.items.select_related("node", "report").order_by("node__position")[0]
    comment_add(item=item, acting_user=reviewer, body="Which classifier version?")

    context = audit_report_context(report)
    first = context["groups"][0].items[0]

    assert [c["body"] for c in first.extra["comments"]] == ["Which classifier version?"]
    assert first.item["verdict"] is None  # changes were requested before any verdict
    assert context["report"].status == "changes_requested"


@pytest.mark.django_db
def test_the_summary_context_runs_the_same_queries_for_1_or_4_organisations(reviewer, program_admin):
    counts = []
    for size in (1, 4):
        framework = small_framework(f"f{size}")
        period = period_for(framework)
        for number in range(size):
            organisation = committed_org(framework, f"Org {size}-{number}")
            published(organisation, period, reviewer=reviewer, admin=program_admin)
        committed_org(framework, f"Silent {size}")
        counts.append(_queries(program_summary_context, period))

    assert counts[0] == counts[1] <= 6


@pytest.mark.django_db
def test_the_summary_compares_with_the_previous_period_of_the_framework(reviewer, program_admin):
    framework = small_framework()
    earlier = period_for(framework, label="2025", year=2025)
    period = period_for(framework, label="2026", year=2026)
    organisation = committed_org(framework, "Northwind Models")
    published(organisation, earlier, reviewer=reviewer, admin=program_admin, statuses=["planned"] * 3)
    published(organisation, period, reviewer=reviewer, admin=program_admin)
    ReportingPeriod.objects.create(
        framework=framework,
        label="2027",
        starts_on=datetime.date(2027, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
        due_on=datetime.date(2028, 3, 31),
    )

    context = program_summary_context(period)

    assert context["previous_period"] == earlier
    assert {c["label"]: c["text"] for c in context["changes"]}["Applicable items implemented"] == "up 100 pts"
    assert ">2025<" in context["trend_chart"] and ">2026<" in context["trend_chart"]
    assert ">2027<" not in context["trend_chart"]  # later periods are not part of this summary


def test_the_fetcher_refuses_remote_urls_in_html_without_connecting(monkeypatch):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: attempts.append(address))
    html = (
        '<html><head><link rel="stylesheet" href="https://remote.test/style.css"></head><body>'
        '<p>Before</p><img src="http://remote.test/pixel.png" alt="pixel">'
        '<div style="background: url(https://remote.test/bg.png)">After</div></body></html>'
    )

    rendered = html_to_pdf(html, manifest_json=b"{}")

    assert rendered.data.startswith(b"%PDF-")
    assert set(rendered.refused_urls) >= {
        "https://remote.test/style.css",
        "http://remote.test/pixel.png",
        "https://remote.test/bg.png",
    }
    assert attempts == []


def test_user_markdown_never_becomes_an_image_tag():
    html = markdown_html('Text ![pixel](http://remote.test/a.png) <img src="http://remote.test/b.png">')

    assert "<img" not in html
    assert "&lt;img" in html  # raw HTML is shown as text, never as markup
