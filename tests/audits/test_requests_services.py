"""Evidence requests through the services: who may open, answer and close one, what each step
refuses, what the ledger and the officers' mailbox hold afterwards."""

import datetime
import json

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audits.models import EvidenceRequest
from audits.services.requests import MESSAGE_MAX, request_answer, request_close, request_open
from commitments.errors import InvalidTransition, NotAllowed, UploadRefused, ValidationFailed
from commitments.models import Evidence, LedgerEntry
from commitments.vocabulary import LedgerEvent, RequestStatus
from reports.models import Publication
from tests.audits.builders import engagement_for
from tests.audits.requests_fixtures import *  # noqa: F403 (the fixtures)
from tests.audits.requests_fixtures import MESSAGE, new_officer
from tests.samples import REFUSED, pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

DUE = datetime.timedelta(days=9)


def entries(event):
    return list(LedgerEntry.objects.filter(event=event).order_by("sequence"))


def data_of(entry):
    return json.loads(entry.payload)["data"]


def open_request(engagement, item, auditor, **overrides):
    arguments = {"message": MESSAGE, "due_on": timezone.localdate() + DUE, **overrides}
    return request_open(engagement=engagement, item=item, acting_user=auditor, **arguments)


# --- opening ----------------------------------------------------------------------------------


def test_the_engaged_auditor_opens_a_request_and_it_is_ledgered_on_the_report(
    engagement, item, auditor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence_request = open_request(engagement, item, auditor)

    assert evidence_request.status == RequestStatus.OPEN
    [entry] = entries(LedgerEvent.EVIDENCE_REQUEST_OPENED)
    assert entry.report_id == item.report_id
    assert entry.actor_id == auditor.pk
    assert data_of(entry)["message"] == MESSAGE
    assert data_of(entry)["due_on"] == (timezone.localdate() + DUE).isoformat()
    assert data_of(entry)["node"] == item.node.node_id


def test_the_organisations_officers_are_emailed_and_no_one_else(
    engagement, item, auditor, officer, contributor, other_officer, django_capture_on_commit_callbacks
):
    second_officer = new_officer(item.report.organisation)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        evidence_request = open_request(engagement, item, auditor)

    [message] = mail.outbox
    assert sorted(message.to) == sorted([officer.email, second_officer.email])
    assert "asks for more evidence" in message.subject
    assert item.node.title in message.subject
    assert MESSAGE in message.body
    assert f"/audits/requests/{evidence_request.pk}/" in message.body
    assert f"/audits/requests/{evidence_request.pk}/" in message.alternatives[0][0]


def test_html_in_the_message_is_escaped_in_the_html_email(
    engagement, item, auditor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_request(engagement, item, auditor, message="<script>alert(1)</script> <b>now</b>")
    html = mail.outbox[-1].alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_nothing_is_sent_or_ledgered_when_opening_is_refused(
    engagement, item, auditor, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed):
        open_request(engagement, item, auditor, message="   ")
    assert mail.outbox == []
    assert entries(LedgerEvent.EVIDENCE_REQUEST_OPENED) == []
    assert not EvidenceRequest.objects.exists()


@pytest.mark.parametrize(
    "overrides,field,words",
    [
        ({"message": ""}, "message", "Write what you need."),
        ({"message": "x" * (MESSAGE_MAX + 1)}, "message", f"under {MESSAGE_MAX:,} characters"),
        ({"due_on": None}, "due_on", "Give the date"),
        ({"due_on": "2026-12-24"}, "due_on", "Give the date"),
        ({"due_on": datetime.date(2000, 1, 1)}, "due_on", "in the past"),
        ({"due_on": datetime.date(2999, 1, 1)}, "due_on", "The engagement ends on"),
    ],
)
def test_opening_refuses_bad_input_field_by_field(engagement, item, auditor, overrides, field, words):
    with pytest.raises(ValidationFailed) as refused:
        open_request(engagement, item, auditor, **overrides)
    assert any(words in message for message in refused.value.problems[field])


def test_a_request_due_today_is_accepted(engagement, item, auditor):
    assert open_request(engagement, item, auditor, due_on=timezone.localdate()).due_on == timezone.localdate()


def test_everyone_but_the_engaged_auditor_is_refused(engagement, item, people):
    for who, user in people.items():
        with pytest.raises(NotAllowed):
            open_request(engagement, item, user)
        assert not EvidenceRequest.objects.exists(), who


def test_an_auditor_of_another_engagement_covering_the_report_cannot_use_this_one(
    engagement, item, org, period, program_admin
):
    """The gate's AUDIT on the report would let them; the request is on this engagement."""
    from tests.factories import UserFactory

    someone = UserFactory(platform_role="auditor")
    engagement_for(someone, organisations=[org], periods=[period], admin=program_admin)
    with pytest.raises(NotAllowed):
        open_request(engagement, item, someone)


def test_an_item_outside_the_engagements_scope_is_refused(
    engagement, auditor, other_org, period, program_admin, reviewer
):
    """The auditor is engaged for the other organisation too, through another engagement."""
    from commitments.services.reports import report_create
    from tests.reports.public_builders import officer_of

    other_report = report_create(organisation=other_org, period=period, acting_user=officer_of(other_org))
    engagement_for(auditor, organisations=[other_org], periods=[period], admin=program_admin)
    other_item = other_report.items.select_related("report").first()
    with pytest.raises(NotAllowed, match="not in the engagement's scope"):
        open_request(engagement, other_item, auditor)


def test_after_the_window_the_auditor_can_no_longer_open_a_request(engagement, item, auditor):
    with time_machine.travel(engagement.ends_at + datetime.timedelta(minutes=1)):
        auditor.refresh_from_db()
        with pytest.raises(NotAllowed):
            open_request(engagement, item, auditor, due_on=timezone.localdate())


# --- answering --------------------------------------------------------------------------------


def test_an_officer_answers_with_a_reply_and_a_file_and_the_auditor_is_told(
    evidence_request, officer, auditor, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("march-logs.pdf", pdf_bytes("Hash-matching log, March"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = request_answer(
            request=evidence_request, acting_user=officer, message="Attached.", file=upload
        )

    evidence_request.refresh_from_db()
    assert evidence_request.status == RequestStatus.ANSWERED
    assert reply.file_name == "march-logs.pdf" and reply.media_type == "application/pdf"
    assert len(reply.sha256) == 64
    [entry] = entries(LedgerEvent.EVIDENCE_REQUEST_ANSWERED)
    assert entry.report_id == evidence_request.item.report_id
    assert entry.actor_id == officer.pk
    assert data_of(entry)["file"]["sha256"] == reply.sha256
    assert data_of(entry)["status"] == {"from": "open", "to": "answered"}
    [message] = mail.outbox
    assert message.to == [auditor.email]
    assert "answered your evidence request" in message.subject


def test_a_file_in_answer_changes_neither_the_item_nor_the_published_snapshot(
    evidence_request, officer, item
):
    publication = Publication.objects.get(report=item.report)
    evidence_before = list(Evidence.objects.filter(item=item).values_list("pk", flat=True))
    request_answer(
        request=evidence_request, acting_user=officer, file=SimpleUploadedFile("a.txt", b"Escalations: 4\n")
    )
    assert list(Evidence.objects.filter(item=item).values_list("pk", flat=True)) == evidence_before
    again = Publication.objects.get(pk=publication.pk)
    assert (again.snapshot, again.snapshot_sha256) == (publication.snapshot, publication.snapshot_sha256)


@pytest.mark.parametrize("sample", ["png", "elf"])
def test_a_disguised_image_or_program_is_refused_as_on_the_evidence_form(
    sample,
    evidence_request,
    officer,
    media,
):
    data, name, words = REFUSED[sample]
    with pytest.raises(UploadRefused, match=words.split("(")[0].strip()):
        request_answer(request=evidence_request, acting_user=officer, file=SimpleUploadedFile(name, data))
    evidence_request.refresh_from_db()
    assert evidence_request.status == RequestStatus.OPEN
    assert not evidence_request.replies.exists()
    assert entries(LedgerEvent.EVIDENCE_REQUEST_ANSWERED) == []
    assert media.names() == set()


def test_an_oversized_file_is_refused(evidence_request, officer, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.txt", b"a line of text\n" * 80_000)
    with pytest.raises(UploadRefused, match="too large"):
        request_answer(request=evidence_request, acting_user=officer, file=upload)


def test_an_answer_needs_a_reply_or_a_file_and_a_reply_has_a_cap(evidence_request, officer):
    with pytest.raises(ValidationFailed, match="Write a reply or attach a file"):
        request_answer(request=evidence_request, acting_user=officer, message="  ")
    with pytest.raises(ValidationFailed, match="characters"):
        request_answer(request=evidence_request, acting_user=officer, message="x" * (MESSAGE_MAX + 1))


def test_only_the_organisations_officers_answer(evidence_request, people, auditor):
    for who, user in {**people, "the engaged auditor": auditor}.items():
        if who == "officer":
            continue
        with pytest.raises(NotAllowed):
            request_answer(request=evidence_request, acting_user=user, message="Here.")
    assert not evidence_request.replies.exists()


def test_answering_again_adds_a_reply(evidence_request, officer):
    request_answer(request=evidence_request, acting_user=officer, message="First part.")
    request_answer(request=evidence_request, acting_user=officer, message="Second part.")
    assert [r.message for r in evidence_request.replies.all()] == ["First part.", "Second part."]
    assert len(entries(LedgerEvent.EVIDENCE_REQUEST_ANSWERED)) == 2


def test_a_closed_request_cannot_be_answered(evidence_request, officer, auditor):
    request_close(request=evidence_request, acting_user=auditor)
    with pytest.raises(InvalidTransition, match="closed"):
        request_answer(request=evidence_request, acting_user=officer, message="Late.")


def test_after_the_engagement_ends_a_request_cannot_be_answered(evidence_request, officer):
    ended = evidence_request.engagement.ends_at + datetime.timedelta(minutes=1)
    with time_machine.travel(ended), pytest.raises(InvalidTransition, match="engagement has ended"):
        request_answer(request=evidence_request, acting_user=officer, message="Late.")


# --- closing ----------------------------------------------------------------------------------


def test_the_auditor_closes_a_request_and_it_is_ledgered(evidence_request, officer, auditor):
    request_answer(request=evidence_request, acting_user=officer, message="Done.")
    closed = request_close(request=evidence_request, acting_user=auditor)
    assert closed.status == RequestStatus.CLOSED
    assert closed.closed_by == auditor and closed.closed_at is not None
    [entry] = entries(LedgerEvent.EVIDENCE_REQUEST_CLOSED)
    assert entry.report_id == evidence_request.item.report_id
    assert data_of(entry)["status"] == {"from": "answered", "to": "closed"}


def test_closing_a_closed_request_is_refused(evidence_request, auditor):
    request_close(request=evidence_request, acting_user=auditor)
    with pytest.raises(InvalidTransition, match="already closed"):
        request_close(request=evidence_request, acting_user=auditor)
    assert len(entries(LedgerEvent.EVIDENCE_REQUEST_CLOSED)) == 1


def test_only_the_engaged_auditor_closes(evidence_request, people):
    for user in people.values():
        with pytest.raises(NotAllowed):
            request_close(request=evidence_request, acting_user=user)
    evidence_request.refresh_from_db()
    assert evidence_request.status == RequestStatus.OPEN
