"""items_update: many items of a report saved at once, all or none, by item_update's rules, at a
number of queries that does not grow with the number of items."""

import json
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from commitments.errors import InvalidTransition, NotAllowed, StaleEdit, ValidationFailed
from commitments.models import LedgerEntry, MetricValue, ReportStatus
from commitments.services.ledger import ledger_verify
from commitments.services.reports import ItemEdit, MetricInput, item_update, items_update, report_create
from tests.builders import advance, commit, period_for, small_framework
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def items_of(report):
    return list(report.items.select_related("node").order_by("node__position"))


def item_rows(report):
    return [
        (item.node.node_id, item.status, item.narrative, item.areas_needing_progress, item.version)
        for item in items_of(report)
    ]


def metric_rows(report):
    return sorted(
        (v.item.node.node_id, v.metric.key, v.value, v.data_source)
        for v in MetricValue.objects.filter(item__report=report).select_related("item__node", "metric")
    )


def item_entries(report):
    return [
        (entry.subject_id, json.loads(entry.payload)["data"])
        for entry in LedgerEntry.objects.filter(report_id=report.pk, event="item.updated").order_by(
            "sequence"
        )
    ]


def test_an_officer_saves_several_items_in_one_call(report, officer):
    first, second, third = items_of(report)

    saved = items_update(
        report=report,
        acting_user=officer,
        updates=[
            ItemEdit(
                item_id=first.pk,
                status="implemented",
                narrative="Hash matching on every upload.",
                metrics={"reports": MetricInput(value="1204", data_source="CyberTipline export")},
            ),
            ItemEdit(node_id=third.node.node_id, status="planned", expected_version=1),
            ItemEdit(item_id=second.pk, areas_needing_progress="Video."),
        ],
    )

    assert [item.pk for item in saved] == [first.pk, third.pk, second.pk]
    assert item_rows(report) == [
        ("tiny.p1.m1", "implemented", "Hash matching on every upload.", "", 2),
        ("tiny.p1.m2", "", "", "Video.", 2),
        ("tiny.p1.m3", "planned", "", "", 2),
    ]
    assert [(key, str(value.normalize()), source) for _, key, value, source in metric_rows(report)] == [
        ("reports", "1204", "CyberTipline export")
    ]
    assert [data["node"] for _, data in item_entries(report)] == ["tiny.p1.m1", "tiny.p1.m3", "tiny.p1.m2"]
    assert all(item.updated_by == officer for item in report.items.all())
    assert ledger_verify().ok


def test_it_writes_what_item_update_would_write_one_item_after_another(framework, officer, org):
    """The same edits, once through items_update and once through item_update per item, in two
    reports: the items, metric values and ledger data come out the same."""
    edits = [
        {
            "status": "implemented",
            "narrative": "Done *well*.",
            "metrics": {"reports": MetricInput(value="12.50", data_source=" Case system ")},
        },
        {"narrative": "", "areas_needing_progress": "More languages."},
        {"status": "not_applicable", "narrative": "No such service."},
    ]
    one_by_one = report_create(organisation=org, period=period_for(framework), acting_user=officer)
    for item, fields in zip(items_of(one_by_one), edits, strict=True):
        item_update(item=item, acting_user=officer, expected_version=item.version, **fields)
    at_once = report_create(
        organisation=org, period=period_for(framework, label="2027", year=2027), acting_user=officer
    )
    items_update(
        report=at_once,
        acting_user=officer,
        updates=[
            ItemEdit(item_id=item.pk, expected_version=1, **fields)
            for item, fields in zip(items_of(at_once), edits, strict=True)
        ],
    )

    assert item_rows(at_once) == item_rows(one_by_one)
    assert [row[1:] for row in metric_rows(at_once)] == [row[1:] for row in metric_rows(one_by_one)]
    assert [data for _, data in item_entries(at_once)] == [data for _, data in item_entries(one_by_one)]


def test_one_bad_edit_saves_nothing_and_every_problem_is_listed_by_position(report, officer):
    first, second, third = items_of(report)
    before = LedgerEntry.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        items_update(
            report=report,
            acting_user=officer,
            updates=[
                ItemEdit(item_id=first.pk, status="done", metrics={"reports": MetricInput(value="lots")}),
                ItemEdit(item_id=second.pk, narrative="Fine."),
                ItemEdit(item_id=third.pk, narrative="x" * 20_001),
            ],
        )

    assert "2 of the 3 edits are not valid" in str(refused.value)
    assert set(refused.value.problems) == {"0", "2"}
    assert set(refused.value.problems["0"]) == {"status", "metric:reports"}
    assert "20,000 characters" in refused.value.problems["2"]["narrative"][0]
    assert item_rows(report) == [(f"tiny.p1.m{n}", "", "", "", 1) for n in (1, 2, 3)]
    assert LedgerEntry.objects.count() == before


def test_unknown_repeated_and_other_reports_items_are_refused_by_position(
    report, officer, framework, other_org
):
    first, second, _ = items_of(report)
    other_officer = MembershipFactory(organisation=other_org, role="officer").user
    elsewhere = report_create(organisation=other_org, period=report.period, acting_user=other_officer)

    with pytest.raises(ValidationFailed) as refused:
        items_update(
            report=report,
            acting_user=officer,
            updates=[
                ItemEdit(item_id=first.pk, narrative="One."),
                ItemEdit(item_id=items_of(elsewhere)[0].pk, narrative="Not this report's."),
                ItemEdit(node_id="tiny.p9.m9", narrative="No such node."),
                ItemEdit(node_id=first.node.node_id, narrative="Again."),
                ItemEdit(narrative="Nameless."),
                ItemEdit(item_id=second.pk, node_id=second.node.node_id, narrative="Both."),
            ],
        )

    problems = refused.value.problems
    assert problems["1"] == {"id": ["This report has no such item."]}
    assert problems["2"] == {"node_id": ["This report has no such item."]}
    assert problems["3"] == {"node_id": ["The same item as edit 0: edit each item once."]}
    assert set(problems["4"]) == set(problems["5"]) == {"item"}
    assert "0" not in problems
    assert item_rows(report)[0][2] == ""


def test_items_saved_since_their_expected_version_are_named_and_nothing_is_saved(
    report, officer, contributor
):
    first, second, third = items_of(report)
    item_update(item=second, acting_user=contributor, expected_version=1, narrative="A colleague's words.")

    with pytest.raises(StaleEdit) as refused:
        items_update(
            report=report,
            acting_user=officer,
            updates=[
                ItemEdit(item_id=first.pk, expected_version=1, narrative="Mine."),
                ItemEdit(item_id=second.pk, expected_version=1, narrative="Mine too."),
                ItemEdit(item_id=third.pk, narrative="No version given: the last save wins."),
            ],
        )

    assert "tiny.p1.m2" in str(refused.value) and "version 2, yours was 1" in str(refused.value)
    assert "tiny.p1.m1" not in str(refused.value)
    assert [row[2] for row in item_rows(report)] == ["", "A colleague's words.", ""]


def test_contributors_save_but_viewers_outsiders_and_reviewers_are_refused(
    report, contributor, viewer, other_officer, reviewer, program_admin
):
    first = items_of(report)[0]
    items_update(
        report=report, acting_user=contributor, updates=[ItemEdit(item_id=first.pk, status="planned")]
    )

    for outsider in (viewer, other_officer, reviewer, program_admin):
        with pytest.raises(NotAllowed):
            items_update(
                report=report,
                acting_user=outsider,
                updates=[ItemEdit(item_id=first.pk, status="implemented")],
            )
    assert item_rows(report)[0][1] == "planned"


def test_items_cannot_change_once_the_report_is_submitted(report, officer, reviewer):
    submitted = advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    first = items_of(submitted)[0]

    with pytest.raises(InvalidTransition):
        items_update(
            report=submitted, acting_user=officer, updates=[ItemEdit(item_id=first.pk, narrative="Late.")]
        )


def test_the_callers_guard_sees_the_locked_items_and_may_refuse_before_anything_is_written(report, officer):
    first, second, _ = items_of(report)
    seen = []

    def guard(items):
        seen.extend((item.pk, item.version) for item in items)
        raise StaleEdit("refused by the caller")

    with pytest.raises(StaleEdit, match="refused by the caller"):
        items_update(
            report=report,
            acting_user=officer,
            updates=[ItemEdit(item_id=second.pk, narrative="B."), ItemEdit(item_id=first.pk, narrative="A.")],
            guard=guard,
        )

    assert seen == [(second.pk, 1), (first.pk, 1)]
    assert [row[2] for row in item_rows(report)] == ["", "", ""]


def test_item_updates_guard_sees_the_locked_item_and_without_a_version_the_last_save_wins(
    report, officer, contributor
):
    first = items_of(report)[0]
    item_update(item=first, acting_user=contributor, expected_version=1, narrative="A colleague's words.")
    seen = []

    saved = item_update(
        item=first,
        acting_user=officer,
        expected_version=None,
        narrative="Mine.",
        guard=lambda locked: seen.append((locked.pk, locked.version, locked.narrative)),
    )

    assert seen == [(first.pk, 2, "A colleague's words.")]
    assert (saved.version, saved.narrative) == (3, "Mine.")


def test_an_edit_that_changes_nothing_bumps_the_version_but_writes_no_ledger_entry(report, officer):
    first = items_of(report)[0]
    before = LedgerEntry.objects.count()

    (saved,) = items_update(
        report=report, acting_user=officer, updates=[ItemEdit(item_id=first.pk, narrative="")]
    )

    assert saved.version == 2
    assert LedgerEntry.objects.count() == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e30", "too large"),
        ("1234567890123456", "too large"),
        ("0.00001", "more than 4 decimal places"),
        ("NaN", "not a number"),
        ("-Infinity", "not a number"),
        ("1" * 5000, "too large"),
        ("x" * 5000, "not a number"),
    ],
)
def test_a_number_the_column_cannot_hold_is_refused_with_a_message_not_an_error(
    report, officer, raw, message
):
    first = items_of(report)[0]

    with pytest.raises(ValidationFailed) as refused:
        item_update(
            item=first,
            acting_user=officer,
            expected_version=1,
            metrics={"reports": MetricInput(value=raw, data_source="x")},
        )

    (problem,) = refused.value.problems["metric:reports"]
    assert message in problem
    assert len(problem) < 120  # the value is shown cut short, not echoed whole
    assert not MetricValue.objects.exists()


@pytest.mark.parametrize("raw", ["123456789012345", "-123456789012345", "0.0001", "12.5000"])
def test_the_largest_and_finest_numbers_the_column_holds_are_saved(report, officer, raw):
    first = items_of(report)[0]
    saved = item_update(
        item=first,
        acting_user=officer,
        expected_version=1,
        metrics={"reports": MetricInput(value=raw, data_source="x")},
    )
    assert saved.metric_values.get().value == Decimal(raw)


def _report_with(items: int):
    framework = small_framework(key=f"k{items}", items=items)
    organisation = OrganisationFactory()
    commit(organisation, framework)
    officer = MembershipFactory(organisation=organisation, role="officer").user
    report = report_create(organisation=organisation, period=period_for(framework), acting_user=officer)
    return report, officer


def _every_item_edited(report):
    return [
        ItemEdit(
            item_id=item.pk,
            expected_version=item.version,
            status="implemented",
            narrative=f"Done for {item.node.node_id}.",
            metrics={"reports": MetricInput(value=7, data_source="Case system")}
            if item.node.metrics.all()
            else None,
        )
        for item in report.items.select_related("node").prefetch_related("node__metrics")
    ]


@pytest.mark.parametrize("items", [3, 21])
def test_saving_every_item_takes_the_same_number_of_queries_for_3_items_as_for_21(
    items, django_assert_num_queries
):
    report, officer = _report_with(items)
    edits = _every_item_edited(report)
    # the savepoint, the report's lock, the officer's memberships, the items, their metric
    # definitions and values, the items' update, the new metric values; then the ledger's 8
    with time_machine.travel("2026-05-04 09:00Z", tick=False), django_assert_num_queries(17):
        items_update(report=report, acting_user=officer, updates=edits)
    assert LedgerEntry.objects.filter(report_id=report.pk, event="item.updated").count() == items
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_edit_waits_for_the_first_and_its_guard_then_sees_the_first_ones_change(
    on_postgres, report, officer, contributor
):
    """What makes the API's If-Match safe: the guard runs with the report and the items locked, so a
    request that read the same version as another one finds, once it gets the lock, the other's
    change, and refuses."""
    first = items_of(report)[0]
    holding, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def hold(items):
        holding.set()
        release.wait(10)

    def still_version_1(items):
        if items[0].version != 1:
            raise StaleEdit(f"version {items[0].version}")

    def one():
        try:
            items_update(
                report=report,
                acting_user=officer,
                updates=[ItemEdit(item_id=first.pk, narrative="One.")],
                guard=hold,
            )
        finally:
            connection.close()

    def two():
        try:
            items_update(
                report=report,
                acting_user=contributor,
                updates=[ItemEdit(item_id=first.pk, narrative="Two.")],
                guard=still_version_1,
            )
            outcome.append("saved over the first")
        except StaleEdit as exc:
            outcome.append(str(exc))
        finally:
            connection.close()

    threads = threading.Thread(target=one), threading.Thread(target=two)
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    threads[1].join(0.5)
    blocked = threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(10)

    assert blocked
    assert outcome == ["version 2"]
    assert item_rows(report)[0][2] == "One."
