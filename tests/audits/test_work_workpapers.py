"""Workpapers: saved by an engaged auditor within scope, signed off by a second one (four eyes)."""

import pytest

from audits.models import Workpaper
from audits.services.work import workpaper_save, workpaper_sign_off
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.markdown import MAX_CHARS
from commitments.vocabulary import LedgerEvent
from tests.audits.builders import engagement_for
from tests.audits.work_fixtures import PAPER, audit_fixture, entries, paper, solo_fixture  # noqa: F401
from tests.builders import period_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_engaged_auditor_saves_a_workpaper_and_is_its_preparer(audit):
    item = audit.items[0]

    workpaper = paper(audit, item)

    assert workpaper.prepared_by == audit.first
    assert workpaper.reviewed_by is None
    assert Workpaper.objects.get(engagement=audit.engagement, item=item).sample == PAPER["sample"]
    [(entry, data)] = entries(LedgerEvent.WORKPAPER_SAVED)
    assert entry.actor_id == audit.first.pk
    assert entry.report_id == audit.report.pk
    assert data["procedure"] == PAPER["procedure"]
    assert data["sign_off_cleared"] is False


def test_saving_again_updates_the_one_workpaper_and_makes_the_saver_its_preparer(audit):
    item = audit.items[0]
    paper(audit, item)

    workpaper = paper(audit, item, user=audit.second, result="Two of three within 24 hours.")

    assert Workpaper.objects.filter(engagement=audit.engagement, item=item).count() == 1
    assert workpaper.prepared_by == audit.second
    assert workpaper.result == "Two of three within 24 hours."
    assert len(entries(LedgerEvent.WORKPAPER_SAVED)) == 2


def test_a_second_auditor_signs_off_the_preparers_workpaper(audit):
    workpaper = paper(audit, audit.items[0])

    signed = workpaper_sign_off(workpaper=workpaper, acting_user=audit.second)

    assert signed.reviewed_by == audit.second
    assert signed.reviewed_at is not None
    [(entry, data)] = entries(LedgerEvent.WORKPAPER_SIGNED_OFF)
    assert entry.actor_id == audit.second.pk
    assert entry.report_id == audit.report.pk
    assert data["prepared_by"] == audit.first.pk


def test_the_preparer_cannot_sign_off_their_own_workpaper(audit):
    workpaper = paper(audit, audit.items[0])

    with pytest.raises(NotAllowed, match="another auditor of the engagement signs it off"):
        workpaper_sign_off(workpaper=workpaper, acting_user=audit.first)

    assert Workpaper.objects.get(pk=workpaper.pk).reviewed_by is None
    assert entries(LedgerEvent.WORKPAPER_SIGNED_OFF) == []


def test_a_lone_auditor_has_no_second_auditor_to_sign_off(solo):
    workpaper = workpaper_save(
        engagement=solo.engagement, item=solo.items[0], acting_user=solo.auditor, **PAPER
    )

    with pytest.raises(InvalidTransition, match="one auditor"):
        workpaper_sign_off(workpaper=workpaper, acting_user=solo.auditor)


def test_an_auditor_of_another_engagement_cannot_sign_off(audit, org, period, program_admin):
    stranger = UserFactory(platform_role="auditor")
    engagement_for(stranger, organisations=[org], periods=[period], admin=program_admin)
    workpaper = paper(audit, audit.items[0])

    with pytest.raises(NotAllowed):
        workpaper_sign_off(workpaper=workpaper, acting_user=stranger)


def test_a_workpaper_is_signed_off_once(audit):
    workpaper = workpaper_sign_off(workpaper=paper(audit, audit.items[0]), acting_user=audit.second)

    with pytest.raises(InvalidTransition, match="already signed off"):
        workpaper_sign_off(workpaper=workpaper, acting_user=audit.second)


def test_changing_a_signed_off_workpaper_clears_its_sign_off(audit):
    item = audit.items[0]
    workpaper_sign_off(workpaper=paper(audit, item), acting_user=audit.second)

    changed = paper(audit, item, conclusion="The control operated, with one late escalation.")

    assert changed.reviewed_by is None
    assert changed.reviewed_at is None
    assert entries(LedgerEvent.WORKPAPER_SAVED)[-1][1]["sign_off_cleared"] is True


def test_saving_a_signed_off_workpaper_unchanged_keeps_its_sign_off(audit):
    item = audit.items[0]
    workpaper_sign_off(workpaper=paper(audit, item), acting_user=audit.second)

    again = paper(audit, item)

    assert again.reviewed_by == audit.second
    assert len(entries(LedgerEvent.WORKPAPER_SAVED)) == 1


@pytest.mark.parametrize("name", list(PAPER))
def test_every_part_of_a_workpaper_is_required(audit, name):
    with pytest.raises(ValidationFailed) as refused:
        paper(audit, audit.items[0], **{name: "   "})

    assert refused.value.problems == {name: ["This field is required."]}
    assert not Workpaper.objects.exists()


def test_an_oversized_text_is_refused_and_nothing_saved(audit):
    with pytest.raises(ValidationFailed) as refused:
        paper(audit, audit.items[0], sample="x" * (MAX_CHARS + 1))

    assert "limited to" in refused.value.problems["sample"][0]
    assert not Workpaper.objects.exists()
    assert entries(LedgerEvent.WORKPAPER_SAVED) == []


def test_an_item_outside_the_engagements_period_is_refused(audit, org, framework, officer):
    from commitments.services.reports import report_create

    later = period_for(framework, label="2027", year=2027)
    other_report = report_create(organisation=org, period=later, acting_user=officer)
    outside = other_report.items.select_related("node", "report").first()

    with pytest.raises(NotAllowed, match="not in the engagement's scope"):
        paper(audit, outside)

    assert not Workpaper.objects.exists()


def test_an_item_in_another_engagements_scope_is_refused(
    audit, other_org, period, other_officer, program_admin
):
    from commitments.services.reports import report_create

    other_report = report_create(organisation=other_org, period=period, acting_user=other_officer)
    # The first auditor is engaged for Bluefin too, but on another engagement.
    engagement_for(audit.first, organisations=[other_org], periods=[period], admin=program_admin)
    outside = other_report.items.select_related("node", "report").first()

    with pytest.raises(NotAllowed, match="not in the engagement's scope"):
        paper(audit, outside)


def test_someone_not_engaged_cannot_save_a_workpaper(audit, officer, reviewer, program_admin):
    for user in (officer, reviewer, program_admin, UserFactory(platform_role="auditor")):
        with pytest.raises(NotAllowed):
            paper(audit, audit.items[0], user=user)

    assert not Workpaper.objects.exists()


def test_an_auditor_who_has_not_declared_cannot_save(org, period, report, program_admin):
    auditor = UserFactory(platform_role="auditor")
    engagement = engagement_for(
        auditor, organisations=[org], periods=[period], admin=program_admin, declared=False
    )
    item = report.items.select_related("node", "report").first()

    with pytest.raises(NotAllowed):
        workpaper_save(engagement=engagement, item=item, acting_user=auditor, **PAPER)
