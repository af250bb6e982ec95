"""The public snapshot of a report states each item's current verdict and current evidence only,
in a fixed number of queries however much evidence there is."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import ReportStatus
from commitments.services.evidence import evidence_add, evidence_revise
from commitments.services.reports import item_verdict_record, report_changes_request, report_submit
from commitments.services.reports import report_review_start as review_start
from reports.selectors import report_public_snapshot
from tests.builders import advance

pytestmark = pytest.mark.django_db

LINK = {"effective_date": datetime.date(2026, 2, 1), "visibility": "public"}


def _items(report):
    return list(report.items.select_related("node").order_by("node__position"))


def _queries(report) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        snapshot = report_public_snapshot(report)
    return len(captured.captured_queries), snapshot


def test_it_states_the_latest_verdict_of_the_current_submission_and_current_evidence(
    report, officer, reviewer
):
    first = _items(report)[0]
    old = evidence_add(
        item=first, acting_user=officer, title="Policy v1", url="https://example.test/1", **LINK
    )
    evidence_revise(evidence=old, acting_user=officer, title="Policy v2")
    in_review = advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    item_verdict_record(item=first, acting_user=reviewer, verdict="not_verified", justification="Round one")
    report_changes_request(report=in_review, acting_user=reviewer, items=[first])
    report_submit(report=in_review, acting_user=officer)
    review_start(report=in_review, acting_user=reviewer)
    item_verdict_record(item=first, acting_user=reviewer, verdict="needs_information", justification="Two a")
    item_verdict_record(item=first, acting_user=reviewer, verdict="verified", justification="Two b")

    _count, snapshot = _queries(in_review)

    stated = snapshot["items"][0]
    assert (stated["verdict"], stated["verdict_justification"]) == ("verified", "Two b")
    assert [e["title"] for e in stated["evidence"]] == ["Policy v2"]
    assert snapshot["items"][1]["verdict"] is None  # no verdict on this submission yet


def test_its_query_count_does_not_grow_with_evidence(report, officer):
    items = _items(report)
    counts = []
    for round_ in range(2):
        for n, item in enumerate(items):
            for k in range(1 + 3 * round_):
                entry = evidence_add(
                    item=item,
                    acting_user=officer,
                    title=f"E{n}.{k}",
                    url=f"https://example.test/{n}/{k}",
                    **LINK,
                )
                evidence_revise(evidence=entry, acting_user=officer, title=f"E{n}.{k} revised")
        counts.append(_queries(report)[0])
    assert counts[0] == counts[1]
