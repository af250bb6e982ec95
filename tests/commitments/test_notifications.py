import datetime

import pytest
import time_machine
from django.core import mail

from commitments.models import ReminderSent, ReportStatus
from commitments.services.notifications import reminders_send_due
from commitments.services.reports import report_submit
from tests.builders import advance, answer_all, period_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _only_email():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    return message, html


def test_submission_emails_reviewers_but_not_reviewers_of_the_same_organisation(
    report, org, officer, reviewer, django_capture_on_commit_callbacks
):
    conflicted = MembershipFactory(organisation=org, role="viewer", user__platform_role="reviewer").user
    answer_all(report, officer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report_submit(report=report, acting_user=officer)

    message, html = _only_email()
    assert reviewer.email in message.to
    assert conflicted.email not in message.to
    assert message.subject == "Northwind Models submitted its 2026 report for review"
    assert f"/review/reports/{report.pk}/" in message.body and f"/review/reports/{report.pk}/" in html


def test_nothing_is_sent_when_the_submission_rolls_back(
    report, officer, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):
        report_submit(report=report, acting_user=officer)  # unanswered items: refused
    assert mail.outbox == []


@pytest.mark.parametrize(
    "state,subject",
    [
        (ReportStatus.CHANGES_REQUESTED, "Changes requested on your 2026 report"),
        (ReportStatus.VERIFIED, "Your 2026 report has been verified"),
        (ReportStatus.PUBLISHED, "Your 2026 report is now public"),
    ],
)
def test_officers_are_told_once_when_their_report_moves(
    state, subject, report, officer, reviewer, program_admin, contributor, django_capture_on_commit_callbacks
):
    advance(report, ReportStatus.IN_REVIEW if state != ReportStatus.PUBLISHED else ReportStatus.VERIFIED,
            officer=officer, reviewer=reviewer, admin=program_admin)  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        advance_from = {ReportStatus.CHANGES_REQUESTED: "changes", ReportStatus.VERIFIED: "verify"}.get(state)
        if advance_from == "changes":
            from commitments.services.reports import report_changes_request

            report_changes_request(
                report=report,
                acting_user=reviewer,
                items=list(report.items.all())[:1],
                message="Say which year.",
            )
        elif advance_from == "verify":
            from commitments.services.reports import item_verdict_record, report_verify

            for item in report.items.select_related("node"):
                item_verdict_record(
                    item=item, acting_user=reviewer, verdict="verified", justification="Seen."
                )
            report_verify(report=report, acting_user=reviewer)
        else:
            from reports.services import report_publish

            report_publish(report=report, acting_user=program_admin)

    message, html = _only_email()
    assert message.subject == subject
    assert message.to == [officer.email]  # contributors are not officers
    assert "&#x27;" not in message.body and "&#x27;" not in message.subject
    if state == ReportStatus.CHANGES_REQUESTED:
        assert "Say which year." in message.body and "Say which year." in html


def _due_soon_period(framework, due: datetime.date):
    period = period_for(framework, label="2025", year=2025)
    period.due_on = due
    period.save()
    return period


def test_deadline_reminders_go_out_at_14_days_3_days_and_overdue_once_each(
    framework, org, officer, django_capture_on_commit_callbacks
):
    period = _due_soon_period(framework, datetime.date(2026, 3, 31))
    sent_subjects = []
    for day in [
        "2026-03-10",
        "2026-03-17",
        "2026-03-17",
        "2026-03-18",
        "2026-03-29",
        "2026-04-01",
        "2026-04-02",
    ]:
        with time_machine.travel(datetime.datetime.fromisoformat(day + "T06:00:00+00:00"), tick=False):
            mail.outbox.clear()
            with django_capture_on_commit_callbacks(execute=True):
                reminders_send_due()
            sent_subjects += [m.subject for m in mail.outbox]

    assert sent_subjects == [
        "Reminder: Northwind Models's 2025 report is due in 14 days",
        "Reminder: Northwind Models's 2025 report is due in 2 days",
        "Overdue: Northwind Models's 2025 report",
    ]
    assert ReminderSent.objects.filter(period=period).count() == 3


def test_a_missed_run_catches_up_with_the_reminder_that_applies_now(
    framework, org, officer, django_capture_on_commit_callbacks
):
    _due_soon_period(framework, datetime.date(2026, 3, 31))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(today=datetime.date(2026, 3, 30))
    assert [m.subject for m in mail.outbox] == ["Reminder: Northwind Models's 2025 report is due in 1 day"]
    assert mail.outbox[0].to == [officer.email]


def test_no_reminder_once_the_report_is_handed_in(
    framework, org, officer, reviewer, django_capture_on_commit_callbacks
):
    from commitments.services.reports import report_create

    period = _due_soon_period(framework, datetime.date(2026, 3, 31))
    report = report_create(organisation=org, period=period, acting_user=officer)
    advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send_due(today=datetime.date(2026, 3, 30)) == 0
    assert mail.outbox == []


def test_the_verified_email_leads_to_the_page_where_the_company_response_is_written(
    report, officer, reviewer, django_capture_on_commit_callbacks
):
    from commitments.services.reports import item_verdict_record, report_verify

    advance(report, ReportStatus.IN_REVIEW, officer=officer, reviewer=reviewer)
    for item in report.items.select_related("node"):
        item_verdict_record(item=item, acting_user=reviewer, verdict="verified", justification="Seen.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_verify(report=report, acting_user=reviewer)

    message, html = _only_email()
    assert f"http://127.0.0.1:8000/review/reports/{report.pk}/" in message.body
    assert f"http://127.0.0.1:8000/review/reports/{report.pk}/" in html
