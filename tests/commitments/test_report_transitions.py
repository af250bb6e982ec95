import pytest

from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.models import LedgerEntry, ReportStatus
from commitments.services.reports import (
    item_verdict_record,
    report_changes_request,
    report_review_start,
    report_submit,
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
        if report.status in (S.DRAFT, S.CHANGES_REQUESTED):
            answer_all(report, officer)
        return report_submit(report=report, acting_user=officer)
    if action == "start_review":
        return report_review_start(report=report, acting_user=reviewer)
    if action == "request_changes":
        return report_changes_request(report=report, acting_user=reviewer, items=list(report.items.all())[:1])
    if action == "verify":
        return report_verify(report=report, acting_user=reviewer)
    if action == "publish":
        return report_publish(report=report, acting_user=program_admin)
    raise AssertionError(action)


LEGAL = {
    "submit": ({S.DRAFT, S.CHANGES_REQUESTED}, S.SUBMITTED, "report.submitted"),
    "start_review": ({S.SUBMITTED}, S.IN_REVIEW, "report.review_started"),
    "request_changes": ({S.IN_REVIEW}, S.CHANGES_REQUESTED, "report.changes_requested"),
    "verify": ({S.IN_REVIEW}, S.VERIFIED, "report.verified"),
    "publish": ({S.VERIFIED}, S.PUBLISHED, "report.published"),
}


def _cases(legal: bool):
    for action, (sources, _target, _event) in LEGAL.items():
        for state in ALL_STATES:
            if (state in sources) == legal:
                yield pytest.param(action, state, id=f"{action}-from-{state}")


@pytest.mark.parametrize("action,state", list(_cases(legal=True)))
def test_each_legal_transition_moves_the_report_and_writes_its_ledger_entry(
    action, state, report, officer, reviewer, program_admin
):
    advance(report, state, officer=officer, reviewer=reviewer, admin=program_admin)
    if action == "verify":
        for item in report.items.select_related("node"):
            item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="Seen.")
    _, target, event = LEGAL[action]

    _do(action, report, officer=officer, reviewer=reviewer, program_admin=program_admin)

    report.refresh_from_db()
    assert report.status == target
    last = LedgerEntry.objects.filter(report_id=report.pk, event=event).last()
    assert last is not None
    assert f'"to":"{target}"' in last.payload


@pytest.mark.parametrize("action,state", list(_cases(legal=False)))
def test_each_illegal_transition_is_refused_and_changes_nothing(
    action, state, report, officer, reviewer, program_admin
):
    advance(report, state, officer=officer, reviewer=reviewer, admin=program_admin)
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
    report_submit(report=report, acting_user=officer)
    assert report.status == S.SUBMITTED
    assert report.revision == 1


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
    report_review_start(report=report, acting_user=reviewer)

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
    advance(report, S.VERIFIED, officer=officer, reviewer=reviewer)
    for person in (officer, reviewer):
        with pytest.raises(NotAllowed):
            report_publish(report=report, acting_user=person)

    publication = report_publish(report=report, acting_user=program_admin)

    assert publication.version == 1
    assert report.status == S.PUBLISHED
    assert '"reference"' in publication.snapshot
