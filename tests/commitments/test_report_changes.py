"""What changed between the submission a reviewer saw and the resubmission, read from the ledger."""

import datetime

import pytest

from commitments.models import ReportStatus
from commitments.selectors_review import report_resubmission_changes
from commitments.services.evidence import evidence_add
from commitments.services.reports import MetricInput, item_update, report_submit
from tests.builders import advance

pytestmark = pytest.mark.django_db


def _items(report):
    return list(report.items.select_related("node").order_by("node__position"))


def _edit(item, officer, **fields):
    item.refresh_from_db()
    return item_update(item=item, acting_user=officer, expected_version=item.version, **fields)


@pytest.fixture
def sent_back(report, officer, reviewer):
    return advance(report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)


def test_there_is_nothing_to_compare_before_a_second_submission(report, officer, reviewer):
    advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    assert report_resubmission_changes(report=report) is None


def test_it_shows_old_and_new_values_of_each_changed_field(sent_back, officer):
    first, second, _third = _items(sent_back)
    _edit(first, officer, status="in_progress", narrative="Rolled out to two products.")
    _edit(first, officer, metrics={"reports": MetricInput(value="40", data_source="Case system")})
    report_submit(report=sent_back, acting_user=officer)

    changes = report_resubmission_changes(report=sent_back)

    assert (changes.previous_revision, changes.revision) == (1, 2)
    fields = {c.field: (c.old, c.new) for c in changes.items["tiny.p1.m1"].fields}
    assert fields == {
        "status": ("Planned", "In progress"),
        "narrative": ("Scheduled for the next quarter.", "Rolled out to two products."),
        "metric:reports": ("12", "40"),
        "source:reports": ("Trust & safety case system export", "Case system"),
    }
    assert changes.items["tiny.p1.m1"].editors == [officer.email]
    assert "tiny.p1.m2" not in changes.items
    assert changes.changed_count == 1


def test_it_names_the_items_and_message_of_the_change_request(sent_back, officer, reviewer):
    report_submit(report=sent_back, acting_user=officer)
    changes = report_resubmission_changes(report=sent_back)
    assert changes.requested_items == ["tiny.p1.m1"]
    assert changes.request_message == "More detail"
    assert changes.requested_by == reviewer.email
    assert changes.changed_count == 0


def test_a_field_edited_and_set_back_is_not_reported_as_changed(sent_back, officer):
    first = _items(sent_back)[0]
    _edit(first, officer, narrative="Something else.")
    _edit(first, officer, narrative="Scheduled for the next quarter.")
    report_submit(report=sent_back, acting_user=officer)

    changes = report_resubmission_changes(report=sent_back)

    assert changes.items["tiny.p1.m1"].fields == []
    assert changes.changed_count == 0


def test_several_edits_show_the_value_reviewed_and_the_final_value(sent_back, officer):
    second = _items(sent_back)[1]
    _edit(second, officer, areas_needing_progress="Draft one")
    _edit(second, officer, areas_needing_progress="Staff training in 2027")
    report_submit(report=sent_back, acting_user=officer)

    (change,) = report_resubmission_changes(report=sent_back).items["tiny.p1.m2"].fields
    assert (change.label, change.old, change.new) == ("Areas needing progress", "", "Staff training in 2027")


def test_added_evidence_is_listed_with_its_visibility(sent_back, officer):
    third = _items(sent_back)[2]
    evidence_add(
        item=third,
        acting_user=officer,
        title="Transparency report 2026",
        effective_date=datetime.date(2026, 6, 1),
        visibility="public",
        url="https://example.test/transparency-2026",
    )
    report_submit(report=sent_back, acting_user=officer)

    changes = report_resubmission_changes(report=sent_back)

    assert changes.items["tiny.p1.m3"].evidence == ["Added evidence “Transparency report 2026” (public)"]
    assert changes.changed_count == 1


def test_only_changes_after_the_previous_submission_count(sent_back, officer, reviewer):
    from commitments.services.reports import report_changes_request, report_review_start

    first, second, _ = _items(sent_back)
    _edit(first, officer, narrative="Round two.")
    report_submit(report=sent_back, acting_user=officer)
    report_review_start(report=sent_back, acting_user=reviewer)
    report_changes_request(report=sent_back, acting_user=reviewer, items=[second], message="Second item too")
    _edit(second, officer, narrative="Round three.")
    report_submit(report=sent_back, acting_user=officer)

    changes = report_resubmission_changes(report=sent_back)

    assert (changes.previous_revision, changes.revision) == (2, 3)
    assert "tiny.p1.m1" not in changes.items
    (change,) = changes.items["tiny.p1.m2"].fields
    assert (change.old, change.new) == ("Scheduled for the next quarter.", "Round three.")
    assert changes.requested_items == ["tiny.p1.m2"]
