import pytest

from commitments.errors import NotAllowed, ValidationFailed
from commitments.models import LedgerEntry, ReportStatus
from commitments.services.reports import report_create
from tests.builders import advance, period_for

pytestmark = pytest.mark.django_db


def test_it_opens_a_draft_with_one_empty_item_per_mitigation(report):
    assert report.status == ReportStatus.DRAFT
    assert [i.node.node_id for i in report.items.select_related("node")] == [
        "tiny.p1.m1",
        "tiny.p1.m2",
        "tiny.p1.m3",
    ]
    assert LedgerEntry.objects.filter(event="report.created", report_id=report.pk).exists()


def test_only_officers_or_program_admins_open_reports(org, period, contributor, other_officer, reviewer):
    for person in (contributor, other_officer, reviewer):
        with pytest.raises(NotAllowed):
            report_create(organisation=org, period=period, acting_user=person)


def test_it_refuses_a_second_report_for_the_same_period(report, org, period, officer):
    with pytest.raises(ValidationFailed, match="already has a report"):
        report_create(organisation=org, period=period, acting_user=officer)


def test_a_new_period_can_start_from_the_last_published_answers(
    report, org, framework, officer, reviewer, program_admin
):
    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    next_period = period_for(framework, label="2027", year=2027)

    carried = report_create(organisation=org, period=next_period, acting_user=officer, carry_forward=True)

    item = carried.items.get(node__node_id="tiny.p1.m1")
    assert item.carried_forward is True
    assert item.status == "planned"
    assert item.metric_values.get().data_source == "Trust & safety case system export"


def test_carried_forward_answers_keep_their_evidence_and_can_be_submitted_unchanged(
    report, org, framework, officer, reviewer, program_admin
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from commitments.services.evidence import evidence_add
    from commitments.services.reports import report_submit
    from tests.builders import answer_all

    answer_all(report, officer, status="implemented")
    for item in report.items.all():
        evidence_add(
            item=item,
            acting_user=officer,
            title="Policy",
            effective_date=framework.periods.first().starts_on,
            visibility="restricted",
            upload=SimpleUploadedFile("policy.txt", b"Our policy.\n"),
        )
    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    next_period = period_for(framework, label="2027", year=2027)

    carried = report_create(organisation=org, period=next_period, acting_user=officer, carry_forward=True)

    evidence = carried.items.get(node__node_id="tiny.p1.m2").evidence.get()
    original = report.items.get(node__node_id="tiny.p1.m2").evidence.get()
    assert (evidence.sha256, evidence.storage_name, evidence.visibility) == (
        original.sha256,
        original.storage_name,
        "restricted",
    )
    created = LedgerEntry.objects.get(event="report.created", report_id=carried.pk)
    assert '"carried_items"' in created.payload and original.sha256 in created.payload
    submitted = report_submit(report=carried, acting_user=officer)
    assert submitted.status == ReportStatus.SUBMITTED
