"""A reviewer's request for changes is a row of its own, written beside its ledger entry and read by
the pages; change requests made before the table existed are rebuilt from the ledger."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from commitments.errors import InvalidTransition, ValidationFailed
from commitments.models import ChangeRequest, LedgerEntry, ReportStatus
from commitments.services.reports import (
    item_verdict_record,
    report_changes_request,
    report_create,
    report_review_start,
    report_submit,
)
from commitments.vocabulary import LedgerEvent
from tests.builders import advance, commit, period_for, small_framework
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _items(report):
    return list(report.items.select_related("node").order_by("node__position"))


def _ledger_size():
    return LedgerEntry.objects.count()


@pytest.fixture
def in_review(report, officer, reviewer):
    return advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)


def test_requesting_changes_writes_the_row_beside_its_ledger_entry(in_review, reviewer):
    first, _second, third = _items(in_review)

    sent_back = report_changes_request(
        report=in_review, acting_user=reviewer, items=[third, first], message="  Say which products.  "
    )

    request = ChangeRequest.objects.get()
    entry = LedgerEntry.objects.get(event=LedgerEvent.REPORT_CHANGES_REQUESTED)
    data = json.loads(entry.payload)["data"]
    assert (request.report_id, request.revision, request.requested_by) == (sent_back.pk, 1, reviewer)
    assert request.message == data["message"] == "Say which products."
    assert request.node_ids == data["items"] == ["tiny.p1.m1", "tiny.p1.m3"]
    assert abs(request.created_at - entry.created_at) < datetime.timedelta(seconds=5)


def test_items_of_another_report_are_left_out(in_review, reviewer, other_org, other_officer, period):
    foreign = report_create(organisation=other_org, period=period, acting_user=other_officer).items.first()
    first = _items(in_review)[0]

    report_changes_request(report=in_review, acting_user=reviewer, items=[first, foreign])

    assert list(ChangeRequest.objects.get().items.all()) == [first]


def test_a_refused_request_writes_neither_row_nor_entry(report, in_review, reviewer):
    before = _ledger_size()

    with pytest.raises(ValidationFailed):
        report_changes_request(report=in_review, acting_user=reviewer, items=[], message="Nothing chosen")
    sent_back = report_changes_request(report=in_review, acting_user=reviewer, items=_items(report)[:1])
    with pytest.raises(InvalidTransition):
        report_changes_request(report=sent_back, acting_user=reviewer, items=_items(report)[:1])

    assert ChangeRequest.objects.count() == 1
    assert _ledger_size() == before + 1


def test_the_row_and_the_move_are_one_transaction(in_review, reviewer):
    # A row already there for this submission: the database refuses the second one...
    ChangeRequest.objects.create(report=in_review, revision=in_review.revision, requested_by=reviewer)
    before = _ledger_size()

    with pytest.raises(IntegrityError):
        report_changes_request(report=in_review, acting_user=reviewer, items=_items(in_review)[:1])

    # ...and the move it came with, ledger entry included, is undone with it.
    in_review.refresh_from_db()
    assert in_review.status == ReportStatus.IN_REVIEW
    assert _ledger_size() == before


def test_each_submission_sent_back_has_its_own_request(in_review, officer, reviewer):
    first, second, _third = _items(in_review)
    report_changes_request(report=in_review, acting_user=reviewer, items=[first], message="First round")
    report_submit(report=in_review, acting_user=officer)
    report_review_start(report=in_review, acting_user=reviewer)
    report_changes_request(report=in_review, acting_user=reviewer, items=[second], message="Second round")

    rows = [(r.revision, r.message, r.node_ids) for r in ChangeRequest.objects.order_by("revision")]
    assert rows == [(1, "First round", ["tiny.p1.m1"]), (2, "Second round", ["tiny.p1.m2"])]


def test_the_officer_reads_the_latest_request_and_its_items_are_flagged(client, in_review, officer, reviewer):
    first, second, third = _items(in_review)
    report_changes_request(report=in_review, acting_user=reviewer, items=[first, third], message="Add years.")
    request = ChangeRequest.objects.get()

    client.force_login(officer)
    response = client.get(reverse("commitments:report_edit", args=[in_review.pk]))

    page = response.content.decode()
    assert response.context["change_request"] == request
    assert "Add years." in page and reviewer.email in page
    flagged = [panel.item.pk for panel in response.context["flagged_items"]]
    assert flagged == [first.pk, third.pk]
    assert second.pk not in flagged


def test_the_reviewer_sees_the_request_beside_the_resubmission(client, in_review, officer, reviewer):
    first = _items(in_review)[0]
    report_changes_request(report=in_review, acting_user=reviewer, items=[first], message="Name the tool.")
    report_submit(report=in_review, acting_user=officer)
    client.force_login(reviewer)

    response = client.get(reverse("commitments:report_review", args=[in_review.pk]))

    resubmission = response.context["resubmission"]
    assert (resubmission.requested_items, resubmission.request_message) == (["tiny.p1.m1"], "Name the tool.")
    assert resubmission.requested_by == reviewer.email
    assert "Name the tool." in response.content.decode()


# --- query counts -----------------------------------------------------------------------------


def _sent_back_report(size, reviewer):
    framework = small_framework(key=f"cr{size}", items=size)
    organisation = OrganisationFactory()
    commit(organisation, framework)
    officer = MembershipFactory(organisation=organisation, role="officer").user
    report = report_create(organisation=organisation, period=period_for(framework), acting_user=officer)
    report = advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    items = _items(report)
    for item in items:
        item_verdict_record(item=item, acting_user=reviewer, verdict="needs_information", justification="?")
    report_changes_request(report=report, acting_user=reviewer, items=items, message="All of them.")
    return report, officer


def test_the_editor_of_a_report_sent_back_runs_the_same_queries_for_more_items(
    client, reviewer, django_assert_max_num_queries
):
    counts = []
    for size in (2, 10):
        report, officer = _sent_back_report(size, reviewer)
        client.force_login(officer)
        with django_assert_max_num_queries(16) as captured:
            response = client.get(reverse("commitments:report_edit", args=[report.pk]))
        assert len(response.context["flagged_items"]) == size
        assert all(panel.verdict is not None for panel in response.context["flagged_items"])
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_the_review_page_of_a_resubmission_runs_the_same_queries_for_more_items(
    client, reviewer, django_assert_max_num_queries
):
    counts = []
    for size in (2, 10):
        report, officer = _sent_back_report(size, reviewer)
        report_submit(report=report, acting_user=officer)
        client.force_login(reviewer)
        # 19: one of them reads the audit corrective actions the report follows up.
        with django_assert_max_num_queries(19) as captured:
            response = client.get(reverse("commitments:report_review", args=[report.pk]))
        assert len(response.context["resubmission"].requested_items) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- change requests made before the table: rebuilt from the ledger --------------------------

BEFORE_TABLE = [("commitments", "0005_ledger_columns_generated_from_payload")]


def test_the_migration_rebuilds_every_request_from_the_ledger(flushable_ledger, report, officer, reviewer):
    report = advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    first, second, third = _items(report)
    report_changes_request(report=report, acting_user=reviewer, items=[first, third], message="Round one")
    report_submit(report=report, acting_user=officer)
    report_review_start(report=report, acting_user=reviewer)
    report_changes_request(report=report, acting_user=reviewer, items=[second], message="")
    written = [
        (r.report_id, r.revision, r.requested_by_id, r.message, r.node_ids)
        for r in ChangeRequest.objects.order_by("revision")
    ]
    times = {
        json.loads(e.payload)["data"]["revision"]: e.created_at
        for e in LedgerEntry.objects.filter(event=LedgerEvent.REPORT_CHANGES_REQUESTED)
    }

    MigrationExecutor(connection).migrate(BEFORE_TABLE)  # the table, and every row, is gone
    call_command("migrate", verbosity=0)

    rebuilt = list(ChangeRequest.objects.order_by("revision"))
    assert [(r.report_id, r.revision, r.requested_by_id, r.message, r.node_ids) for r in rebuilt] == written
    assert written[0][1:] == (1, reviewer.pk, "Round one", ["tiny.p1.m1", "tiny.p1.m3"])
    assert {r.revision: r.created_at for r in rebuilt} == times
