"""The report's state machine: the moves people make, and report_transition under them.

Every (from, to) pair is tried against the table, each move takes the report's row lock once,
and a move returns the updated report, leaving the object it was given as it was.
"""

import json
import threading

import pytest
from django.db import connection
from django.db.models import QuerySet

from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.models import LedgerEntry, ProgressReport, ReportStatus
from commitments.services.reports import (
    TRANSITIONS,
    item_verdict_record,
    report_changes_request,
    report_review_start,
    report_submit,
    report_transition,
    report_verify,
)
from reports.services import report_publish
from tests.builders import advance, answer_all
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

S = ReportStatus
ALL_STATES = [S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.VERIFIED, S.PUBLISHED]


def _do(action, report, *, officer, reviewer, program_admin):
    if action == "submit":
        return report_submit(report=report, acting_user=officer)
    if action == "start_review":
        return report_review_start(report=report, acting_user=reviewer)
    if action == "request_changes":
        return report_changes_request(report=report, acting_user=reviewer, items=list(report.items.all())[:1])
    if action == "verify":
        return report_verify(report=report, acting_user=reviewer)
    if action == "publish":
        return report_publish(report=report, acting_user=program_admin).report
    raise AssertionError(action)


# DESIGN.md §3, written out here on its own: the table in the code is checked against it.
LEGAL = {
    "submit": ({S.DRAFT, S.CHANGES_REQUESTED}, S.SUBMITTED, "report.submitted"),
    "start_review": ({S.SUBMITTED}, S.IN_REVIEW, "report.review_started"),
    "request_changes": ({S.IN_REVIEW}, S.CHANGES_REQUESTED, "report.changes_requested"),
    "verify": ({S.IN_REVIEW}, S.VERIFIED, "report.verified"),
    "publish": ({S.VERIFIED}, S.PUBLISHED, "report.published"),
}
DIAGRAM = {(source, target) for sources, target, _event in LEGAL.values() for source in sources}


def _cases(legal: bool):
    for action, (sources, _target, _event) in LEGAL.items():
        for state in ALL_STATES:
            if (state in sources) == legal:
                yield pytest.param(action, state, id=f"{action}-from-{state}")


def _ready(action, state, report, *, officer, reviewer, program_admin):
    """The report in `state`, with what the move needs besides (answers to submit, verdicts to verify)."""
    report = advance(report, state, officer=officer, reviewer=reviewer, admin=program_admin)
    if action == "submit" and state == S.DRAFT:
        answer_all(report, officer)
    if action == "verify" and state == S.IN_REVIEW:
        for item in report.items.select_related("node"):
            item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="Seen.")
    return report


@pytest.mark.parametrize("action,state", list(_cases(legal=True)))
def test_each_legal_transition_moves_the_report_and_writes_its_ledger_entry(
    action, state, report, officer, reviewer, program_admin
):
    report = _ready(action, state, report, officer=officer, reviewer=reviewer, program_admin=program_admin)
    _, target, event = LEGAL[action]

    moved = _do(action, report, officer=officer, reviewer=reviewer, program_admin=program_admin)

    assert moved.status == target
    report.refresh_from_db()
    assert report.status == target
    last = LedgerEntry.objects.filter(report_id=report.pk, event=event).last()
    assert last is not None
    assert f'"to":"{target}"' in last.payload


@pytest.mark.parametrize("action,state", list(_cases(legal=False)))
def test_each_illegal_transition_is_refused_and_changes_nothing(
    action, state, report, officer, reviewer, program_admin
):
    report = advance(report, state, officer=officer, reviewer=reviewer, admin=program_admin)
    entries_before = LedgerEntry.objects.count()

    with pytest.raises(InvalidTransition) as refused:
        _do(action, report, officer=officer, reviewer=reviewer, program_admin=program_admin)

    assert str(refused.value).startswith("Cannot")
    report.refresh_from_db()
    assert report.status == state
    assert LedgerEntry.objects.count() == entries_before


def test_it_refuses_submit_with_every_problem_listed_by_item(report, officer):
    with pytest.raises(ValidationFailed) as refused:
        report_submit(report=report, acting_user=officer)

    problems = refused.value.problems
    assert set(problems) == {"tiny.p1.m1", "tiny.p1.m2", "tiny.p1.m3"}
    assert "Choose an implementation status." in problems["tiny.p1.m2"]
    report.refresh_from_db()
    assert report.status == S.DRAFT


def test_only_officers_submit(report, officer, contributor, viewer, other_officer, reviewer):
    answer_all(report, officer)
    for outsider in (contributor, viewer, other_officer, reviewer):
        with pytest.raises(NotAllowed):
            report_submit(report=report, acting_user=outsider)
    submitted = report_submit(report=report, acting_user=officer)
    assert submitted.status == S.SUBMITTED
    assert submitted.revision == 1


def test_a_reviewer_cannot_review_their_own_organisations_report(report, org, officer, reviewer):
    MembershipFactory(user=reviewer, organisation=org, role="viewer")
    answer_all(report, officer)
    report_submit(report=report, acting_user=officer)

    with pytest.raises(NotAllowed, match="belong to this organisation"):
        report_review_start(report=report, acting_user=reviewer)


def test_officers_and_contributors_cannot_review(report, officer, contributor, reviewer):
    advance(report, S.SUBMITTED, officer=officer, reviewer=reviewer)
    for member in (officer, contributor):
        with pytest.raises(NotAllowed):
            report_review_start(report=report, acting_user=member)


def test_it_refuses_verify_until_every_item_has_a_verdict(report, officer, reviewer):
    advance(report, S.IN_REVIEW, officer=officer, reviewer=reviewer)
    first = report.items.select_related("node").first()
    item_verdict_record(item=first, acting_user=reviewer, verdict="verified", justification="Seen.")

    with pytest.raises(ValidationFailed) as refused:
        report_verify(report=report, acting_user=reviewer)

    assert set(refused.value.problems) == {"tiny.p1.m2", "tiny.p1.m3"}
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW


def test_verdicts_from_an_earlier_submission_do_not_count_after_resubmission(report, officer, reviewer):
    advance(report, S.IN_REVIEW, officer=officer, reviewer=reviewer)
    for item in report.items.select_related("node"):
        item_verdict_record(
            item=item, acting_user=reviewer, verdict="needs_information", justification="Why?"
        )
    report_changes_request(report=report, acting_user=reviewer, items=list(report.items.all()))
    report_submit(report=report, acting_user=officer)
    report = report_review_start(report=report, acting_user=reviewer)

    assert report.revision == 2
    with pytest.raises(ValidationFailed):
        report_verify(report=report, acting_user=reviewer)


def test_a_verdict_needs_a_known_value_and_a_justification(report, officer, reviewer):
    advance(report, S.IN_REVIEW, officer=officer, reviewer=reviewer)
    item = report.items.select_related("node").first()
    with pytest.raises(ValidationFailed):
        item_verdict_record(item=item, acting_user=reviewer, verdict="fine", justification="ok")
    with pytest.raises(ValidationFailed):
        item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="  ")


def test_request_changes_needs_at_least_one_item(report, officer, reviewer):
    advance(report, S.IN_REVIEW, officer=officer, reviewer=reviewer)
    with pytest.raises(ValidationFailed):
        report_changes_request(report=report, acting_user=reviewer, items=[])


def test_only_program_admins_outside_the_organisation_publish(report, org, officer, reviewer, program_admin):
    report = advance(report, S.VERIFIED, officer=officer, reviewer=reviewer)
    for person in (officer, reviewer):
        with pytest.raises(NotAllowed):
            report_publish(report=report, acting_user=person)

    publication = report_publish(report=report, acting_user=program_admin)

    assert publication.version == 1
    assert publication.report.status == S.PUBLISHED and publication.report.published_at is not None
    assert (report.status, report.published_at) == (S.VERIFIED, None)  # the object given is left as it was
    assert '"reference"' in publication.snapshot


# --- report_transition: the table, the lock, fresh objects ---------------------------------


def _last_entry(report) -> dict:
    return json.loads(LedgerEntry.objects.filter(report_id=report.pk).order_by("sequence").last().payload)


def test_the_table_allows_exactly_the_moves_of_the_design():
    declared = {(source, to) for to, move in TRANSITIONS.items() for source in move.sources}
    assert declared == DIAGRAM


@pytest.mark.parametrize(
    "start,to", [pytest.param(start, to, id=f"{start}-to-{to}") for start in ALL_STATES for to in ALL_STATES]
)
def test_every_pair_of_states_is_moved_or_refused_as_the_table_says(
    start, to, report, officer, reviewer, program_admin
):
    report = advance(report, start, officer=officer, reviewer=reviewer, admin=program_admin)
    entries_before = LedgerEntry.objects.count()

    if (start, to) in DIAGRAM:
        moved = report_transition(report=report, to=to, acting_user=reviewer)

        assert moved.status == to
        assert ProgressReport.objects.get(pk=report.pk).status == to
        assert LedgerEntry.objects.count() == entries_before + 1
        entry = _last_entry(report)
        assert entry["event"] == TRANSITIONS[to].event
        assert (entry["data"]["from"], entry["data"]["to"]) == (start, to)
        return

    with pytest.raises(InvalidTransition) as refused:
        report_transition(report=report, to=to, acting_user=reviewer)

    message = str(refused.value)
    if to == S.DRAFT:
        assert message == "Cannot move a report to draft; no transition leads there."
    else:
        move = TRANSITIONS[to]
        allowed = " or ".join(source.label.lower() for source in move.sources)
        assert message == (
            f"Cannot {move.action} a report that is {start.label.lower()}; it must be {allowed}."
        )
    assert ProgressReport.objects.get(pk=report.pk).status == start
    assert LedgerEntry.objects.count() == entries_before


def test_it_checks_the_state_of_the_report_row_not_of_the_object_it_is_given(report, officer, reviewer):
    stale = ProgressReport.objects.get(pk=report.pk)
    advance(report, S.SUBMITTED, officer=officer, reviewer=reviewer)
    assert stale.status == S.DRAFT

    with pytest.raises(InvalidTransition, match="Cannot submit a report that is submitted"):
        report_transition(report=stale, to=S.SUBMITTED, acting_user=officer)
    started = report_transition(report=stale, to=S.IN_REVIEW, acting_user=reviewer)

    assert started.status == S.IN_REVIEW
    assert stale.status == S.DRAFT


def test_a_guard_sees_the_locked_report_and_a_refusal_writes_nothing(report, officer, reviewer):
    report = advance(report, S.SUBMITTED, officer=officer, reviewer=reviewer)
    entries_before = LedgerEntry.objects.count()
    seen = []

    def refuse(locked):
        seen.append((locked is report, locked.status))
        raise ValidationFailed("Not today.")

    with pytest.raises(ValidationFailed, match="Not today"):
        report_transition(report=report, to=S.IN_REVIEW, acting_user=reviewer, guard=refuse)

    assert seen == [(False, S.SUBMITTED)]
    assert ProgressReport.objects.get(pk=report.pk).status == S.SUBMITTED
    assert LedgerEntry.objects.count() == entries_before


def test_a_move_returns_the_updated_report_and_leaves_the_given_object_as_it_was(report, officer):
    answer_all(report, officer)

    submitted = report_submit(report=report, acting_user=officer)

    assert (submitted.status, submitted.revision) == (S.SUBMITTED, 1)
    assert submitted.submitted_at is not None and submitted.first_submitted_at == submitted.submitted_at
    assert (report.status, report.revision, report.submitted_at) == (S.DRAFT, 0, None)


@pytest.fixture
def report_locks(monkeypatch):
    """Each row lock a service asks of the report table (SQLite ignores them, so they are counted)."""
    taken = []
    original = QuerySet.select_for_update

    def counted(queryset, *args, **kwargs):
        if queryset.model is ProgressReport:
            taken.append(queryset)
        return original(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", counted)
    return taken


@pytest.mark.parametrize("action,state", list(_cases(legal=True)))
def test_each_move_locks_the_report_row_once(
    action, state, report, officer, reviewer, program_admin, report_locks
):
    report = _ready(action, state, report, officer=officer, reviewer=reviewer, program_admin=program_admin)
    report_locks.clear()  # answers and verdicts take the same lock in their own services

    moved = _do(action, report, officer=officer, reviewer=reviewer, program_admin=program_admin)

    assert len(report_locks) == 1
    assert ProgressReport.objects.get(pk=report.pk).status == moved.status == LEGAL[action][1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_publication_waits_for_the_first_and_is_then_refused(
    on_postgres, report, officer, reviewer, program_admin
):
    verified = advance(report, S.VERIFIED, officer=officer, reviewer=reviewer)
    holding, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def hold(locked):
        holding.set()
        release.wait(10)

    def first():
        try:
            report_transition(report=verified, to=S.PUBLISHED, acting_user=program_admin, guard=hold)
        finally:
            connection.close()

    def second():
        try:
            report_publish(report=verified, acting_user=program_admin)
            outcome.append("published twice")
        except InvalidTransition as exc:
            outcome.append(str(exc))
        finally:
            connection.close()

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    assert holding.wait(10)
    two.start()
    two.join(0.5)
    blocked = two.is_alive()  # waiting for the row lock the first move holds
    release.set()
    one.join(10)
    two.join(10)

    assert blocked
    assert outcome == ["Cannot publish a report that is published; it must be verified."]
    assert LedgerEntry.objects.filter(report_id=report.pk, event="report.published").count() == 1
