"""Who is told what, by email, when a report moves; and the deadline reminders job.

Emails are recorded in the outbox inside the change's transaction and sent once it commits, so a
change that rolls back sends nothing (commitments.emails.email_queue).
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from commitments.emails import email_queue
from commitments.models import (
    Commitment,
    Membership,
    ProgressReport,
    ReminderSent,
    ReportingPeriod,
    ReportStatus,
)
from commitments.vocabulary import EDITABLE_STATES

# Reports in these states have been handed in: no reminder is due for them.
HANDED_IN = [state for state in ReportStatus if state not in EDITABLE_STATES]


def _officer_emails(organisation_id: int) -> list[str]:
    return list(
        Membership.objects.filter(
            organisation_id=organisation_id, role=Membership.Role.OFFICER, user__is_active=True
        ).values_list("user__email", flat=True)
    )


def _reviewer_emails(organisation_id: int) -> list[str]:
    """Program reviewers, never those who belong to the organisation (conflict of interest)."""
    return list(
        User.objects.filter(
            Q(platform_role=User.PlatformRole.REVIEWER) | Q(platform_role=User.PlatformRole.PROGRAM_ADMIN),
            is_active=True,
        )
        .exclude(memberships__organisation_id=organisation_id)
        .values_list("email", flat=True)
    )


def _report_context(report: ProgressReport, *, path: str) -> dict:
    return {
        "organisation": report.organisation.name,
        "period": report.period.label,
        "framework": report.period.framework.title,
        "revision": report.revision,
        "report_url": f"{settings.SITE_URL}{path}",
    }


def report_notify(*, report: ProgressReport, event: ReportStatus, message: str = "") -> None:
    """Queue the email that goes with the report's move to the state `event`. Call inside the
    transition's transaction."""
    review_path = reverse("commitments:report_review", kwargs={"report_id": report.pk})
    editor_path = reverse("commitments:report_edit", kwargs={"report_id": report.pk})
    # Each move happens once per submission (revision) of a report.
    key = f"report_{event}:{report.pk}:r{report.revision}"
    if event == ReportStatus.SUBMITTED:
        context = _report_context(report, path=review_path)
        email_queue(
            template="report_submitted", to=_reviewer_emails(report.organisation_id), context=context, key=key
        )
    elif event in (ReportStatus.CHANGES_REQUESTED, ReportStatus.VERIFIED, ReportStatus.PUBLISHED):
        # Changes are made in the editor; verdicts are read, and answered, on the report page.
        path = editor_path if event == ReportStatus.CHANGES_REQUESTED else review_path
        context = {**_report_context(report, path=path), "message": message}
        email_queue(
            template=f"report_{event}", to=_officer_emails(report.organisation_id), context=context, key=key
        )
    else:
        raise ValueError(f"No notification for {event!r}")


def _reminder_kind(due_on: datetime.date, today: datetime.date) -> str | None:
    days_left = (due_on - today).days
    if days_left < 0:
        return ReminderSent.Kind.OVERDUE
    if days_left <= 3:
        return ReminderSent.Kind.DUE_IN_3_DAYS
    if days_left <= 14:
        return ReminderSent.Kind.DUE_IN_14_DAYS
    return None


def reminders_send_due(*, today: datetime.date | None = None) -> int:
    """Send every deadline reminder that is due and not yet sent; return how many were sent.

    Idempotent: each (organisation, period, kind) is claimed by inserting a ReminderSent row, so
    a second run, or two workers at once, never send the same reminder twice. After a missed run
    it sends the reminder that applies now (e.g. the 3-day one), not the stale ones it skipped.
    """
    today = today or timezone.localdate()
    periods = ReportingPeriod.objects.filter(due_on__lte=today + datetime.timedelta(days=14)).select_related(
        "framework"
    )
    sent = 0
    for period in periods:
        kind = _reminder_kind(period.due_on, today)
        if kind is None:
            continue
        handed_in = set(
            ProgressReport.objects.filter(period=period, status__in=HANDED_IN).values_list(
                "organisation_id", flat=True
            )
        )
        commitments = Commitment.objects.filter(framework__key=period.framework.key).select_related(
            "organisation"
        )
        for commitment in commitments:
            organisation = commitment.organisation
            if organisation.pk in handed_in or commitment.signed_on > period.ends_on:
                continue
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(organisation=organisation, period=period, kind=kind)
                    context = {
                        "organisation": organisation.name,
                        "period": period.label,
                        "framework": period.framework.title,
                        "due_on": period.due_on.isoformat(),
                        "kind": kind,
                        "days_left": (period.due_on - today).days,
                        "report_url": f"{settings.SITE_URL}{reverse('commitments:dashboard')}",
                    }
                    email_queue(
                        template="deadline_reminder",
                        to=_officer_emails(organisation.pk),
                        context=context,
                        key=f"deadline_reminder:{organisation.pk}:{period.pk}:{kind}",
                    )
            except IntegrityError:
                continue  # already sent by an earlier or concurrent run
            sent += 1
    return sent
