"""The organisation follows up a nonconformity's corrective action in its next report
(audits/services/follow_up.py): which finding, which report, who, when, and the ledger entry."""

import pytest

from audits.models import Finding
from audits.services.follow_up import NOT_HERE
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.markdown import MAX_CHARS
from commitments.services.ledger import ledger_verify_fast
from commitments.services.ledger.reconcile import ledger_reconcile
from commitments.services.reports import report_create
from commitments.vocabulary import LedgerEvent, ReportStatus
from tests.audits.follow_up_fixtures import (  # noqa: F401
    FOLLOW_UP,
    attested_fixture,
    audit_and_attest,
    follow_up,
    next_period_fixture,
    next_report_fixture,
)
from tests.audits.work_fixtures import entries, solo_fixture  # noqa: F401
from tests.builders import advance, period_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def reloaded(finding) -> Finding:
    return Finding.objects.get(pk=finding.pk)


def assert_not_followed_up(finding):
    finding = reloaded(finding)
    assert finding.followed_up_in is None
    assert finding.follow_up == ""
    assert entries(LedgerEvent.FINDING_FOLLOWED_UP) == []


# --- what it writes -----------------------------------------------------------------------------


def test_an_officer_follows_up_the_corrective_action_in_the_next_report(attested, next_report, officer):
    follow_up(attested.nonconformity, next_report, officer)

    finding = reloaded(attested.nonconformity)
    assert finding.followed_up_in == next_report
    assert finding.follow_up == FOLLOW_UP
    assert finding.followed_up_by == officer
    assert finding.followed_up_at is not None
    # The auditor's part is as attested.
    assert finding.corrective_action == attested.nonconformity.corrective_action
    assert finding.description == attested.nonconformity.description


def test_the_follow_up_is_ledgered_in_the_next_reports_history(attested, next_report, officer):
    follow_up(attested.nonconformity, next_report, officer)

    [(entry, data)] = entries(LedgerEvent.FINDING_FOLLOWED_UP)
    assert entry.report_id == next_report.pk
    assert entry.actor_id == officer.pk
    assert entry.subject_type == "audits.finding"
    assert entry.subject_id == str(attested.nonconformity.pk)
    assert data["follow_up"] == FOLLOW_UP
    assert data["audited_report"] == attested.audited.pk
    assert data["audited_period"] == "2026"
    assert data["node"] == attested.nonconformity.item.node.node_id
    assert data["corrective_action"] == attested.nonconformity.corrective_action
    assert data["rewritten"] is False


def test_the_ledger_stays_whole_and_the_audit_tables_reconcile_after_a_follow_up(
    attested, next_report, officer
):
    follow_up(attested.nonconformity, next_report, officer)
    follow_up(attested.nonconformity, next_report, officer, text="Rewritten.")

    assert ledger_verify_fast().ok
    reconciled = ledger_reconcile()
    assert reconciled.ok, reconciled.problems
    assert reconciled.findings == len(attested.engagement.findings.all())


def test_a_contributor_may_write_it_as_they_may_edit_the_report(attested, next_report, contributor):
    follow_up(attested.nonconformity, next_report, contributor)

    assert reloaded(attested.nonconformity).followed_up_by == contributor


def test_writing_it_again_rewrites_it_and_is_ledgered_again(attested, next_report, officer, contributor):
    follow_up(attested.nonconformity, next_report, officer)

    follow_up(attested.nonconformity, next_report, contributor, text="  Rewritten after the May sample.  ")

    finding = reloaded(attested.nonconformity)
    assert finding.follow_up == "Rewritten after the May sample."
    assert finding.followed_up_by == contributor
    [(_, first), (second_entry, second)] = entries(LedgerEvent.FINDING_FOLLOWED_UP)
    assert second_entry.report_id == next_report.pk
    assert second["follow_up"] == "Rewritten after the May sample."
    assert (first["rewritten"], second["rewritten"]) == (False, True)


def test_saving_the_same_text_again_changes_nothing(attested, next_report, officer, contributor):
    follow_up(attested.nonconformity, next_report, officer)

    follow_up(attested.nonconformity, next_report, contributor)

    assert reloaded(attested.nonconformity).followed_up_by == officer
    assert len(entries(LedgerEvent.FINDING_FOLLOWED_UP)) == 1


def test_it_can_be_written_again_once_the_reviewer_sends_the_report_back(
    attested, next_report, officer, reviewer
):
    sent_back = advance(next_report, ReportStatus.CHANGES_REQUESTED, officer=officer, reviewer=reviewer)

    follow_up(attested.nonconformity, sent_back, officer)

    assert reloaded(attested.nonconformity).followed_up_in == sent_back


# --- which finding ------------------------------------------------------------------------------


def test_an_observation_is_not_followed_up(attested, next_report, officer):
    with pytest.raises(InvalidTransition, match="Only a nonconformity's corrective action"):
        follow_up(attested.observation, next_report, officer)

    assert_not_followed_up(attested.observation)


def test_a_nonconformity_without_a_corrective_action_is_not_followed_up(solo, next_report, officer):
    found = audit_and_attest(solo.engagement, solo.items, solo.auditor, corrective="")

    with pytest.raises(InvalidTransition, match="Only a nonconformity's corrective action"):
        follow_up(found.nonconformity, next_report, officer)

    assert_not_followed_up(found.nonconformity)


def test_a_finding_of_an_engagement_not_attested_yet_is_not_followed_up(solo, next_report, officer):
    found = audit_and_attest(solo.engagement, solo.items, solo.auditor, attest=False)

    with pytest.raises(InvalidTransition, match="not attested yet"):
        follow_up(found.nonconformity, next_report, officer)

    assert_not_followed_up(found.nonconformity)


# --- which report -------------------------------------------------------------------------------


def test_it_is_not_followed_up_in_the_audited_report_itself(attested, next_report, officer):
    with pytest.raises(InvalidTransition, match="next report after the audited 2026 report: the 2027"):
        follow_up(attested.nonconformity, attested.audited, officer)

    assert_not_followed_up(attested.nonconformity)


def test_it_is_not_followed_up_in_an_earlier_report(attested, framework, org, officer):
    earlier = report_create(organisation=org, period=period_for(framework, "2025", 2025), acting_user=officer)

    with pytest.raises(InvalidTransition, match=r"next report after the audited 2026 report\.$"):
        follow_up(attested.nonconformity, earlier, officer)

    assert_not_followed_up(attested.nonconformity)


def test_it_is_not_followed_up_in_a_later_report_that_is_not_the_next(
    attested, next_report, framework, org, officer
):
    later = report_create(organisation=org, period=period_for(framework, "2028", 2028), acting_user=officer)

    with pytest.raises(InvalidTransition, match="the 2027 report"):
        follow_up(attested.nonconformity, later, officer)

    assert_not_followed_up(attested.nonconformity)


def test_another_organisations_report_is_refused_without_naming_anything_of_the_finding(
    attested, next_period, other_org, other_officer
):
    theirs = report_create(organisation=other_org, period=next_period, acting_user=other_officer)

    with pytest.raises(InvalidTransition) as refused:
        follow_up(attested.nonconformity, theirs, other_officer)

    assert str(refused.value) == NOT_HERE
    assert_not_followed_up(attested.nonconformity)


def test_a_report_handed_in_no_longer_takes_the_follow_up(attested, next_report, officer, reviewer):
    for state in (ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW):
        handed_in = advance(next_report, state, officer=officer, reviewer=reviewer)

        with pytest.raises(InvalidTransition, match=f"2027 report is {state.label.lower()}"):
            follow_up(attested.nonconformity, handed_in, officer)

    assert_not_followed_up(attested.nonconformity)


def test_once_followed_up_in_a_report_it_stays_there(attested, framework, org, officer):
    # No 2027 report yet: the 2028 one is the next; a 2027 report opened afterwards does not take it.
    later = report_create(organisation=org, period=period_for(framework, "2028", 2028), acting_user=officer)
    follow_up(attested.nonconformity, later, officer)
    between = report_create(organisation=org, period=period_for(framework, "2027", 2027), acting_user=officer)

    with pytest.raises(InvalidTransition, match="followed up in another report"):
        follow_up(attested.nonconformity, between, officer, text="Somewhere else.")

    follow_up(attested.nonconformity, later, officer, text="Still here, rewritten.")
    assert reloaded(attested.nonconformity).followed_up_in == later
    assert reloaded(attested.nonconformity).follow_up == "Still here, rewritten."


# --- who ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "reviewer", "other_officer", "program_admin", "the auditor"])
def test_only_those_who_may_edit_the_next_report_write_it(request, attested, next_report, who):
    person = attested.auditor if who == "the auditor" else request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        follow_up(attested.nonconformity, next_report, person)

    assert_not_followed_up(attested.nonconformity)


def test_an_officer_of_another_organisation_who_is_also_a_viewer_here_cannot_write_it(
    attested, next_report, org, other_officer
):
    MembershipFactory(organisation=org, role="viewer", user=other_officer)

    with pytest.raises(NotAllowed):
        follow_up(attested.nonconformity, next_report, other_officer)


# --- the text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_follow_up_is_refused(attested, next_report, officer, text):
    with pytest.raises(ValidationFailed) as refused:
        follow_up(attested.nonconformity, next_report, officer, text=text)

    assert refused.value.problems == {"text": ["Say what was done about the corrective action."]}
    assert_not_followed_up(attested.nonconformity)


def test_a_follow_up_over_the_limit_is_refused(attested, next_report, officer):
    with pytest.raises(ValidationFailed) as refused:
        follow_up(attested.nonconformity, next_report, officer, text="x" * (MAX_CHARS + 1))

    assert "limited to" in refused.value.problems["text"][0]
    assert_not_followed_up(attested.nonconformity)


def test_a_follow_up_at_the_limit_is_saved(attested, next_report, officer):
    follow_up(attested.nonconformity, next_report, officer, text="x" * MAX_CHARS)

    assert len(reloaded(attested.nonconformity).follow_up) == MAX_CHARS
