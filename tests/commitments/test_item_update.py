import json

import pytest

from commitments.errors import InvalidTransition, NotAllowed, StaleEdit, ValidationFailed
from commitments.models import LedgerEntry, ReportStatus
from commitments.services.reports import MetricInput, item_update
from tests.builders import advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(report):
    return report.items.select_related("node").get(node__node_id="tiny.p1.m1")


def test_an_officer_saves_status_narrative_and_metric_with_its_data_source(item, officer):
    item_update(
        item=item,
        acting_user=officer,
        expected_version=1,
        status="implemented",
        narrative="Hash matching runs on every upload.",
        metrics={"reports": MetricInput(value="1204", data_source="NCMEC CyberTipline submissions export")},
    )

    item.refresh_from_db()
    assert (item.status, item.version) == ("implemented", 2)
    value = item.metric_values.get()
    assert str(value.value.normalize()) == "1204"
    assert value.data_source == "NCMEC CyberTipline submissions export"
    entry = LedgerEntry.objects.filter(event="item.updated").last()
    data = json.loads(entry.payload)["data"]
    assert data["changes"]["status"] == "implemented"
    assert data["metrics"]["reports"]["value"] == "1204"


def test_contributors_draft_but_viewers_and_other_organisations_cannot(
    item, contributor, viewer, other_officer, reviewer
):
    item_update(item=item, acting_user=contributor, expected_version=1, status="planned")
    for outsider in (viewer, other_officer, reviewer):
        with pytest.raises(NotAllowed):
            item_update(item=item, acting_user=outsider, expected_version=2, status="implemented")
    item.refresh_from_db()
    assert item.status == "planned"


def test_the_second_of_two_concurrent_saves_is_refused_not_overwritten(item, officer, contributor):
    item_update(item=item, acting_user=officer, expected_version=1, narrative="Officer's words")

    with pytest.raises(StaleEdit, match="version 2, yours was 1"):
        item_update(item=item, acting_user=contributor, expected_version=1, narrative="Contributor's words")

    item.refresh_from_db()
    assert item.narrative == "Officer's words"


def test_bad_input_is_refused_with_a_message_per_field_and_nothing_saved(item, officer):
    with pytest.raises(ValidationFailed) as refused:
        item_update(
            item=item,
            acting_user=officer,
            expected_version=1,
            status="done",
            metrics={"reports": MetricInput(value="lots"), "unknown": MetricInput(value=1)},
        )

    assert set(refused.value.problems) == {"status", "metric:reports", "metric:unknown"}
    item.refresh_from_db()
    assert item.status == "" and item.version == 1
    assert not item.metric_values.exists()


def test_items_cannot_change_once_the_report_is_submitted(report, officer, reviewer):
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    item = report.items.first()
    with pytest.raises(InvalidTransition):
        item_update(item=item, acting_user=officer, expected_version=item.version, narrative="late change")


def test_a_save_that_changes_nothing_writes_no_ledger_entry(item, officer):
    before = LedgerEntry.objects.count()
    item_update(item=item, acting_user=officer, expected_version=1, narrative="")
    assert LedgerEntry.objects.count() == before


def test_item_update_returns_the_saved_item_and_leaves_the_given_object_as_it_was(item, officer):
    saved = item_update(item=item, acting_user=officer, expected_version=1, narrative="Rolled out.")

    assert (saved.version, saved.narrative) == (2, "Rolled out.")
    assert (item.version, item.narrative) == (1, "")
