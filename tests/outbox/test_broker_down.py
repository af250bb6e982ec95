"""Broker down during submit and publish, through the real views: the user sees success, the
change is saved, its side effects wait in the outbox, and once the broker is back
`dispatch_outbox` delivers every email and the PDF exactly once."""

import io

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from commitments.models import LedgerEntry, ReportStatus
from commitments.vocabulary import LedgerEvent
from outbox.models import OutboxEntry, OutboxKind, OutboxStatus
from reports.models import ArtifactStatus, ReportArtifact
from tests.builders import advance, answer_all
from tests.outbox.conftest import broker_back

pytestmark = pytest.mark.django_db


def dispatch_outbox() -> str:
    out = io.StringIO()
    call_command("dispatch_outbox", stdout=out)
    return out.getvalue()


def test_submitting_with_the_broker_down_succeeds_and_the_email_follows_once_it_is_back(
    client, officer, reviewer, report, broker_down, django_capture_on_commit_callbacks
):
    answer_all(report, officer)
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("commitments:report_submit", kwargs={"report_id": report.pk}))

    assert response.status_code == 302
    assert response["Location"] == reverse("commitments:report_edit", kwargs={"report_id": report.pk})
    shown = [m.message for m in get_messages(response.wsgi_request)]
    assert shown[0].startswith("Report submitted for review.")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert mail.outbox == []
    entry = OutboxEntry.objects.get(kind=OutboxKind.EMAIL)
    assert (entry.status, entry.attempts) == (OutboxStatus.PENDING, 1)
    assert "Connection refused" in entry.last_error or "111" in entry.last_error

    # Still down: the operator's command says so, and exits non-zero.
    with pytest.raises(CommandError, match="1 still failing"):
        dispatch_outbox()

    broker_back()
    output = dispatch_outbox()

    assert f"#{entry.pk} email report_submitted:{report.pk}:r1: done" in output
    assert [message.to for message in mail.outbox] == [[reviewer.email]]
    assert "submitted" in mail.outbox[0].subject.lower()
    entry.refresh_from_db()
    assert (entry.status, entry.attempts, entry.last_error) == (OutboxStatus.DONE, 3, "")

    assert "Dispatched 0" in dispatch_outbox()
    assert len(mail.outbox) == 1


def test_publishing_with_the_broker_down_succeeds_and_the_email_and_pdf_follow_once_it_is_back(
    client,
    settings,
    officer,
    reviewer,
    program_admin,
    report,
    broker_down,
    django_capture_on_commit_callbacks,
):
    settings.PDF_RENDER_ON_PUBLISH = True
    broker_back()
    with django_capture_on_commit_callbacks(execute=True):
        report = advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)
    mail.outbox.clear()
    broker_down.set_current()
    client.force_login(program_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_publish", args=[report.pk]))

    assert response.status_code == 302
    assert any(m.message.startswith("Published ") for m in get_messages(response.wsgi_request))
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED
    assert mail.outbox == []
    artifact = ReportArtifact.objects.get(report=report)
    assert artifact.status == ArtifactStatus.PENDING
    email = OutboxEntry.objects.get(kind=OutboxKind.EMAIL, key=f"report_published:{report.pk}:r1")
    pdf = OutboxEntry.objects.get(kind=OutboxKind.PDF_RENDER)
    assert email.status == pdf.status == OutboxStatus.PENDING
    # The broker is tried once per request: the PDF job did not wait for it a second time.
    assert "not tried again yet" in pdf.last_error
    # The cache refresh needs no broker: done at once.
    assert OutboxEntry.objects.get(kind=OutboxKind.PUBLIC_CACHE_BUMP).status == OutboxStatus.DONE

    broker_back()
    with django_capture_on_commit_callbacks(execute=True):  # the rendering's own commit
        output = dispatch_outbox()

    assert f"#{email.pk} email" in output and f"#{pdf.pk} pdf_render" in output
    assert [message.to for message in mail.outbox] == [[officer.email]]
    artifact.refresh_from_db()
    assert artifact.status == ArtifactStatus.READY, artifact.failure_reason
    assert ReportArtifact.objects.filter(report=report).count() == 1
    rendered = LedgerEntry.objects.filter(event=LedgerEvent.ARTIFACT_RENDERED)
    assert rendered.count() == 1

    # Again: nothing more is sent or rendered, even when the PDF job is published once more.
    assert "Dispatched 0" in dispatch_outbox()
    from reports.tasks import artifact_render_task

    artifact_render_task.delay(artifact.pk)
    assert len(mail.outbox) == 1
    assert rendered.count() == 1
    assert ReportArtifact.objects.get(pk=artifact.pk).sha256 == artifact.sha256
