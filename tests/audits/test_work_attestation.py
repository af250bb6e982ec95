"""Attestation: signed once the work is complete, never changed, corrected by a new one."""

import datetime

import pytest
from django.utils import timezone

from audits.models import Attestation, Finding, Workpaper
from audits.selectors_follow_up import open_corrective_actions
from audits.selectors_work import attestation_missing
from audits.services.work import (
    attestation_correct,
    attestation_sign,
    finding_respond,
    workpaper_sign_off,
)
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.models.ledger import LedgerImmutableError
from commitments.vocabulary import FindingKind, LedgerEvent, Opinion
from tests.audits.builders import engagement_for
from tests.audits.work_fixtures import PAPER, audit_fixture, entries, find, paper  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATEMENT = "Based on the procedures performed, nothing came to our attention that the claims are misstated."


def sign(audit, user=None, **changes):
    values = {
        "opinion": Opinion.UNQUALIFIED,
        "statement": STATEMENT,
        "attested_on": timezone.localdate(),
        **changes,
    }
    return attestation_sign(engagement=audit.engagement, acting_user=user or audit.first, **values)


def complete(audit, without_finding=()):
    """Every item with a signed-off workpaper and (but those named) a finding."""
    for item in audit.items:
        if item not in without_finding:
            find(audit, item)
        workpaper_sign_off(workpaper=paper(audit, item), acting_user=audit.second)


def test_an_engagement_with_everything_found_and_signed_off_is_attested(audit):
    complete(audit)

    attestation = sign(audit)

    assert attestation.opinion == Opinion.UNQUALIFIED
    assert attestation.signed_by == audit.first
    assert list(Attestation.objects.current()) == [attestation]
    [(entry, data)] = entries(LedgerEvent.ATTESTATION_SIGNED)
    assert entry.actor_id == audit.first.pk
    assert data["opinion"] == "unqualified"
    assert data["statement"] == STATEMENT
    assert data["attested_on"] == timezone.localdate().isoformat()


def test_attestation_is_refused_while_an_item_has_no_finding(audit):
    complete(audit, without_finding=[audit.items[2]])

    with pytest.raises(InvalidTransition, match="1 item without a finding"):
        sign(audit)

    assert not Attestation.objects.exists()
    assert entries(LedgerEvent.ATTESTATION_SIGNED) == []


def test_attestation_is_refused_while_a_workpaper_awaits_its_sign_off(audit):
    complete(audit)
    paper(audit, audit.items[1], result="Changed after the sign-off.")

    with pytest.raises(InvalidTransition, match="1 workpaper not signed off"):
        sign(audit)

    missing = attestation_missing(audit.engagement)
    assert [w.item_id for w in missing.unsigned_workpapers] == [audit.items[1].pk]
    assert missing.items_without_finding == []


def test_a_lone_auditor_attests_without_sign_offs(org, period, report, program_admin):
    auditor = UserFactory(platform_role="auditor")
    engagement = engagement_for(auditor, organisations=[org], periods=[period], admin=program_admin)
    for item in report.items.select_related("node", "report"):
        from audits.services.work import finding_record, workpaper_save

        workpaper_save(engagement=engagement, item=item, acting_user=auditor, **PAPER)
        finding_record(
            engagement=engagement, item=item, acting_user=auditor, kind="conforms", description="Matches."
        )

    attestation = attestation_sign(
        engagement=engagement,
        acting_user=auditor,
        opinion="qualified",
        statement=STATEMENT,
        attested_on=timezone.localdate(),
    )

    assert attestation.opinion == Opinion.QUALIFIED


def test_an_engagement_with_no_report_in_scope_cannot_be_attested(org, framework, program_admin):
    from tests.builders import period_for

    empty_period = period_for(framework, label="2030", year=2030)
    auditor = UserFactory(platform_role="auditor")
    engagement = engagement_for(auditor, organisations=[org], periods=[empty_period], admin=program_admin)

    with pytest.raises(InvalidTransition, match="no report in its scope"):
        attestation_sign(
            engagement=engagement,
            acting_user=auditor,
            opinion="unqualified",
            statement=STATEMENT,
            attested_on=timezone.localdate(),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"opinion": "glowing"}, "opinion"),
        ({"opinion": ""}, "opinion"),
        ({"statement": " "}, "statement"),
        ({"statement": "x" * 20_001}, "statement"),
        ({"attested_on": None}, "attested_on"),
        ({"attested_on": "2026-02-30"}, "attested_on"),
        ({"attested_on": timezone.localdate() + datetime.timedelta(days=1)}, "attested_on"),
    ],
)
def test_a_bad_attestation_is_refused_naming_the_field(audit, changes, field):
    complete(audit)

    with pytest.raises(ValidationFailed) as refused:
        sign(audit, **changes)

    assert field in refused.value.problems
    assert not Attestation.objects.exists()


def test_only_an_engaged_auditor_attests(audit, officer, reviewer, program_admin):
    complete(audit)

    for user in (officer, reviewer, program_admin, UserFactory(platform_role="auditor")):
        with pytest.raises(NotAllowed):
            sign(audit, user=user)

    assert not Attestation.objects.exists()


def test_a_second_attestation_is_refused(audit):
    complete(audit)
    sign(audit)

    with pytest.raises(InvalidTransition, match="attested"):
        sign(audit, user=audit.second, opinion="adverse")

    assert Attestation.objects.count() == 1


def test_after_attestation_workpapers_findings_and_responses_no_longer_change(audit, officer):
    complete(audit)
    observation = find(audit, audit.items[0], kind=FindingKind.OBSERVATION)
    sign(audit)
    workpaper = Workpaper.objects.get(item=audit.items[0])

    with pytest.raises(InvalidTransition, match="attested"):
        paper(audit, audit.items[0], result="Rewritten afterwards.")
    with pytest.raises(InvalidTransition, match="attested"):
        find(audit, audit.items[0], kind=FindingKind.NONCONFORMITY, recommended_action="Too late.")
    with pytest.raises(InvalidTransition, match="attested"):
        workpaper_sign_off(workpaper=workpaper, acting_user=audit.second)
    with pytest.raises(InvalidTransition, match="attested"):
        finding_respond(finding=observation, acting_user=officer, company_response="Too late.")

    assert Workpaper.objects.get(pk=workpaper.pk).result == PAPER["result"]
    assert Finding.objects.get(pk=observation.pk).kind == FindingKind.OBSERVATION


def test_an_attestation_is_never_changed_or_deleted(audit):
    complete(audit)
    attestation = sign(audit)

    attestation.statement = "Quietly rewritten."
    with pytest.raises(LedgerImmutableError):
        attestation.save()
    with pytest.raises(LedgerImmutableError):
        Attestation.objects.filter(pk=attestation.pk).update(opinion="adverse")
    with pytest.raises(LedgerImmutableError):
        attestation.delete()
    with pytest.raises(LedgerImmutableError):
        Attestation.objects.all().delete()

    assert Attestation.objects.get(pk=attestation.pk).statement == STATEMENT


def test_a_correction_is_a_new_attestation_naming_the_old_one_which_stays_readable(audit):
    complete(audit)
    first = sign(audit)

    correction = attestation_correct(
        attestation=first,
        acting_user=audit.second,
        opinion="qualified",
        statement="Except for the late escalations, the claims are fairly stated.",
        attested_on=timezone.localdate(),
        reason="Two late escalations came to light after signing.",
    )

    assert correction.corrects == first
    assert correction.correction_reason == "Two late escalations came to light after signing."
    assert list(Attestation.objects.current()) == [correction]
    old = Attestation.objects.get(pk=first.pk)
    assert old.statement == STATEMENT
    assert old.opinion == Opinion.UNQUALIFIED
    entry, data = entries(LedgerEvent.ATTESTATION_SIGNED)[-1]
    assert entry.actor_id == audit.second.pk
    assert data["corrects"] == first.pk
    assert data["reason"] == "Two late escalations came to light after signing."


def test_a_correction_needs_a_reason(audit):
    complete(audit)
    first = sign(audit)

    with pytest.raises(ValidationFailed) as refused:
        attestation_correct(
            attestation=first,
            acting_user=audit.first,
            opinion="qualified",
            statement=STATEMENT,
            attested_on=timezone.localdate(),
            reason="  ",
        )

    assert "reason" in refused.value.problems
    assert list(Attestation.objects.current()) == [first]


def test_only_the_latest_attestation_is_corrected(audit):
    complete(audit)
    first = sign(audit)
    values = {"opinion": "qualified", "statement": STATEMENT, "attested_on": timezone.localdate()}
    attestation_correct(attestation=first, acting_user=audit.first, reason="One.", **values)

    with pytest.raises(InvalidTransition, match="already been corrected"):
        attestation_correct(attestation=first, acting_user=audit.first, reason="Two.", **values)


def test_a_correction_leaves_the_workpapers_and_findings_as_attested(audit):
    complete(audit)
    first = sign(audit)
    values = {"opinion": "qualified", "statement": STATEMENT, "attested_on": timezone.localdate()}
    attestation_correct(attestation=first, acting_user=audit.first, reason="Restated.", **values)

    with pytest.raises(InvalidTransition, match="attested"):
        find(audit, audit.items[0], kind=FindingKind.OBSERVATION)


def test_someone_not_engaged_cannot_correct(audit, program_admin, officer):
    complete(audit)
    first = sign(audit)
    values = {"opinion": "adverse", "statement": STATEMENT, "attested_on": timezone.localdate()}

    for user in (program_admin, officer):
        with pytest.raises(NotAllowed):
            attestation_correct(attestation=first, acting_user=user, reason="Mine now.", **values)

    assert list(Attestation.objects.current()) == [first]


def test_open_corrective_actions_list_attested_nonconformities_with_a_corrective_action(
    audit, org, other_org
):
    complete(audit)
    nonconformity = find(
        audit,
        audit.items[0],
        kind=FindingKind.NONCONFORMITY,
        recommended_action="Log the time of every escalation.",
        corrective_action="Timestamps mandatory from March.",
    )
    find(audit, audit.items[1], kind=FindingKind.NONCONFORMITY, recommended_action="Train the team.")
    find(audit, audit.items[2], kind=FindingKind.OBSERVATION, corrective_action="Not a nonconformity.")

    assert list(open_corrective_actions(org)) == []  # not attested yet

    sign(audit, opinion="qualified")

    assert list(open_corrective_actions(org)) == [nonconformity]
    assert list(open_corrective_actions(other_org)) == []
