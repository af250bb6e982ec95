"""Findings: recorded by an engaged auditor, answered by the organisation's officer."""

import pytest

from audits.models import Finding
from audits.services.work import finding_respond
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import FindingKind, LedgerEvent
from tests.audits.work_fixtures import audit_fixture, entries, find  # noqa: F401

pytestmark = pytest.mark.django_db


def test_an_engaged_auditor_records_a_finding(audit):
    item = audit.items[0]

    finding = find(audit, item, kind=FindingKind.OBSERVATION, description="Two cases lacked a timestamp.")

    assert finding.kind == FindingKind.OBSERVATION
    assert finding.recorded_by == audit.first
    [(entry, data)] = entries(LedgerEvent.FINDING_RECORDED)
    assert entry.report_id == audit.report.pk
    assert entry.actor_id == audit.first.pk
    assert data["part"] == "finding"
    assert data["kind"] == "observation"
    assert data["description"] == "Two cases lacked a timestamp."


def test_recording_again_updates_the_one_finding(audit):
    item = audit.items[0]
    find(audit, item)

    finding = find(audit, item, user=audit.second, kind=FindingKind.OBSERVATION, description="On reflection.")

    assert Finding.objects.filter(engagement=audit.engagement, item=item).count() == 1
    assert finding.kind == FindingKind.OBSERVATION
    assert finding.recorded_by == audit.second
    assert len(entries(LedgerEvent.FINDING_RECORDED)) == 2


def test_a_nonconformity_needs_a_recommended_action(audit):
    with pytest.raises(ValidationFailed) as refused:
        find(audit, audit.items[0], kind=FindingKind.NONCONFORMITY, recommended_action="  ")

    assert refused.value.problems == {"recommended_action": ["A nonconformity needs a recommended action."]}
    assert not Finding.objects.exists()
    assert entries(LedgerEvent.FINDING_RECORDED) == []


def test_a_nonconformity_with_a_recommended_action_is_recorded(audit):
    finding = find(
        audit,
        audit.items[0],
        kind=FindingKind.NONCONFORMITY,
        recommended_action="Log every escalation with its time.",
        corrective_action="Timestamps made mandatory from March.",
    )

    assert finding.recommended_action == "Log every escalation with its time."
    assert finding.corrective_action == "Timestamps made mandatory from March."


@pytest.mark.parametrize("kind", ["", "excellent", "CONFORMS", "conforms<script>"])
def test_an_unknown_kind_is_refused(audit, kind):
    with pytest.raises(ValidationFailed) as refused:
        find(audit, audit.items[0], kind=kind)

    assert "Choose one of" in refused.value.problems["kind"][0]
    assert not Finding.objects.exists()


def test_a_finding_needs_a_description_within_the_limit(audit):
    with pytest.raises(ValidationFailed) as empty:
        find(audit, audit.items[0], description="")
    with pytest.raises(ValidationFailed) as too_long:
        find(audit, audit.items[0], description="x" * (MAX_CHARS + 1))

    assert empty.value.problems == {"description": ["This field is required."]}
    assert "limited to" in too_long.value.problems["description"][0]
    assert not Finding.objects.exists()


def test_someone_not_engaged_cannot_record_a_finding(audit, officer, reviewer, program_admin):
    for user in (officer, reviewer, program_admin):
        with pytest.raises(NotAllowed):
            find(audit, audit.items[0], user=user)

    assert not Finding.objects.exists()


def test_the_organisations_officer_responds_to_an_observation(audit, officer):
    finding = find(audit, audit.items[0], kind=FindingKind.OBSERVATION)

    answered = finding_respond(
        finding=finding, acting_user=officer, company_response="  We now log the time.  "
    )

    assert answered.company_response == "We now log the time."
    entry, data = entries(LedgerEvent.FINDING_RECORDED)[-1]
    assert entry.actor_id == officer.pk
    assert entry.report_id == audit.report.pk
    assert data == {
        "part": "company_response",
        "engagement": audit.engagement.pk,
        "item": audit.items[0].pk,
        "node": audit.items[0].node.node_id,
        "company_response": "We now log the time.",
    }


def test_a_finding_that_conforms_takes_no_response(audit, officer):
    finding = find(audit, audit.items[0], kind=FindingKind.CONFORMS)

    with pytest.raises(InvalidTransition, match="nothing to respond to"):
        finding_respond(finding=finding, acting_user=officer, company_response="Thanks.")


def test_only_the_organisations_officer_responds(audit, viewer, contributor, other_officer, reviewer):
    finding = find(audit, audit.items[0], kind=FindingKind.OBSERVATION)

    for user in (viewer, contributor, other_officer, reviewer, audit.first, audit.admin):
        with pytest.raises(NotAllowed):
            finding_respond(finding=finding, acting_user=user, company_response="Not mine to say.")

    assert Finding.objects.get(pk=finding.pk).company_response == ""


def test_a_response_is_required_and_within_the_limit(audit, officer):
    finding = find(audit, audit.items[0], kind=FindingKind.OBSERVATION)

    for text in ("   ", "x" * (MAX_CHARS + 1)):
        with pytest.raises(ValidationFailed) as refused:
            finding_respond(finding=finding, acting_user=officer, company_response=text)
        assert "company_response" in refused.value.problems

    assert Finding.objects.get(pk=finding.pk).company_response == ""
