"""Evidence requests through the API: the auditor opens one and the officers are told, who lists
and reads which, the officers answer with a reply or a file (checked as evidence uploads are, and
never twice for one Idempotency-Key), the auditor closes it, and the file is downloaded, ledgered."""

import datetime
import hashlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audits.models import EvidenceRequest, EvidenceRequestReply
from commitments.vocabulary import LedgerEvent, RequestStatus
from outbox.models import OutboxEntry
from tests.api.audits_helpers import V1, ids, item_path, ledger, pointers, request_path
from tests.api.world_audits import REPLY_FILE
from tests.samples import REFUSED, pdf_bytes

pytestmark = pytest.mark.django_db

LIST = f"{V1}/evidence-requests/"


def due(days=5):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def open_request(api_world):
    """A request of the world's engagement still open (the world's own is answered)."""
    w = api_world
    response = w.client("auditor_inside").post(
        item_path(w.engagement, w.extra["audits_item"], "evidence-requests"),
        {"message": "Please send the April log.", "due_on": due()},
        format="json",
    )
    assert response.status_code == 201
    return EvidenceRequest.objects.get(pk=response.json()["id"])


# --- opening ---------------------------------------------------------------------------------------


def test_an_auditor_opens_a_request_and_the_officers_are_told(api_world):
    w = api_world
    item = w.extra["audits_item"]

    response = w.client("auditor_inside").post(
        item_path(w.engagement, item, "evidence-requests"),
        {"message": "Please send the April log.", "due_on": due(9)},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"{LIST}{body['id']}/"
    assert (body["status"], body["message"], body["due_on"], body["replies"]) == (
        "open",
        "Please send the April log.",
        due(9),
        [],
    )
    assert body["item"]["id"] == item.pk and body["engagement"] == w.engagement.pk
    assert body["requested_by"]["id"] == w.users["auditor_inside"].pk
    assert ledger(LedgerEvent.EVIDENCE_REQUEST_OPENED)[-1]["request"] == body["id"]
    email = OutboxEntry.objects.get(key=f"evidence_request_opened:{body['id']}")
    assert email.payload["to"] == [w.users["officer"].email]


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        (-1, "The due date is in the past: give today or a later day."),
        (60, "The engagement ends on"),
    ],
)
def test_a_due_date_in_the_past_or_after_the_engagement_is_refused(api_world, days, problem):
    w = api_world
    before = EvidenceRequest.objects.count()

    response = w.client("auditor_inside").post(
        item_path(w.engagement, w.extra["audits_item"], "evidence-requests"),
        {"message": "Please send it.", "due_on": due(days)},
        format="json",
    )

    assert response.status_code == 400
    assert pointers(response)["#/due_on"].startswith(problem)
    assert EvidenceRequest.objects.count() == before


def test_an_item_outside_the_engagements_scope_is_not_found(api_world):
    w = api_world
    bluefin_item = w.extra["bluefin_report"].items.first()

    response = w.client("auditor_inside").post(
        item_path(w.engagement, bluefin_item, "evidence-requests"),
        {"message": "Please send it.", "due_on": due()},
        format="json",
    )

    assert response.status_code == 404


# --- listing and reading ------------------------------------------------------------------------


def test_the_officers_and_the_engagements_auditor_list_the_request_and_nobody_else(api_world):
    w = api_world
    world_request = w.extra["audits_request"].pk

    for role in ("officer", "auditor_inside"):
        assert ids(w.client(role).get(LIST)) == [world_request], role
    for role in (
        "other_officer",
        "contributor",
        "viewer",
        "own_reviewer",
        "reviewer",
        "auditor_outside",
        "admin",
    ):
        assert ids(w.client(role).get(LIST)) == [], role


def test_the_list_filters_by_status_engagement_and_item(api_world, open_request):
    w = api_world
    client = w.client("officer")
    answered = w.extra["audits_request"].pk

    assert ids(client.get(LIST)) == [open_request.pk, answered]  # newest first
    assert ids(client.get(LIST, {"status": "open"})) == [open_request.pk]
    assert ids(client.get(LIST, {"status": "answered"})) == [answered]
    assert ids(client.get(LIST, {"engagement": w.extra["audits_attested_engagement"].pk})) == []
    assert ids(client.get(LIST, {"item": w.extra["audits_item"].pk})) == [open_request.pk, answered]


def test_a_request_shows_its_answers_and_where_to_download_the_file(api_world):
    w = api_world
    evidence_request, reply = w.extra["audits_request"], w.extra["audits_reply"]

    body = w.client("auditor_inside").get(request_path(evidence_request)).json()

    assert body["status"] == "answered" and body["overdue"] is False
    [answer] = body["replies"]
    assert answer["author"]["id"] == w.users["officer"].pk
    assert answer["message"] == "The March log is attached."
    assert answer["file"] == {
        "name": "march-log.txt",
        "sha256": hashlib.sha256(REPLY_FILE).hexdigest(),
        "size_bytes": len(REPLY_FILE),
        "media_type": "text/plain",
        "download": f"{request_path(evidence_request)}replies/{reply.pk}/file/",
    }


def test_a_request_past_its_due_date_is_overdue_while_open(api_world, open_request):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        body = api_world.client("officer").get(request_path(open_request)).json()

    assert body["overdue"] is True


# --- answering ---------------------------------------------------------------------------------------


def test_an_officer_answers_with_a_reply(api_world, open_request):
    w = api_world

    response = w.client("officer").post(
        request_path(open_request, "replies"), {"message": "  The April log follows.  "}, format="json"
    )

    assert response.status_code == 201
    assert response["Location"] == request_path(open_request)
    assert response.json()["message"] == "The April log follows." and response.json()["file"] is None
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.ANSWERED
    entry = ledger(LedgerEvent.EVIDENCE_REQUEST_ANSWERED)[-1]
    assert (entry["request"], entry["status"]) == (open_request.pk, {"from": "open", "to": "answered"})


@pytest.mark.usefixtures("media")
def test_an_officer_answers_with_a_file_stored_as_evidence_is(api_world, open_request, media):
    w = api_world
    content = pdf_bytes("Escalation log, April")

    response = w.client("officer").post(
        request_path(open_request, "replies"),
        {"file": SimpleUploadedFile("april-log.pdf", content, content_type="application/pdf")},
        format="multipart",
    )

    assert response.status_code == 201
    file = response.json()["file"]
    assert (file["name"], file["sha256"], file["size_bytes"], file["media_type"]) == (
        "april-log.pdf",
        hashlib.sha256(content).hexdigest(),
        len(content),
        "application/pdf",
    )
    assert len(media.names()) == 1
    assert ledger(LedgerEvent.EVIDENCE_REQUEST_ANSWERED)[-1]["file"]["sha256"] == file["sha256"]


@pytest.mark.usefixtures("media")
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_file_that_evidence_uploads_refuse_is_refused_and_nothing_is_kept(
    api_world, open_request, media, name
):
    w = api_world
    content, filename, words = REFUSED[name]

    response = w.client("officer").post(
        request_path(open_request, "replies"),
        {"message": "Here.", "file": SimpleUploadedFile(filename, content)},
        format="multipart",
    )

    assert response.status_code == 400, response.content
    assert words in pointers(response)["#/file"]
    assert media.names() == set()
    assert not EvidenceRequestReply.objects.filter(request=open_request).exists()
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.OPEN


def test_an_answer_needs_a_reply_or_a_file(api_world, open_request):
    response = api_world.client("officer").post(request_path(open_request, "replies"), {}, format="json")

    assert response.status_code == 400
    assert pointers(response) == {"#/message": "Write a reply or attach a file."}


@pytest.mark.usefixtures("media")
def test_a_retried_upload_with_its_idempotency_key_answers_once(api_world, open_request, media):
    client = api_world.client("officer")
    path = request_path(open_request, "replies")
    content = b"April escalations: 7\n"

    def upload(data=content, name="april.txt"):
        return client.post(
            path,
            {"message": "The April count.", "file": SimpleUploadedFile(name, data)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="answer-april",
        )

    first, again, other = upload(), upload(), upload(b"April escalations: 8\n")

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert EvidenceRequestReply.objects.filter(request=open_request).count() == 1
    assert len(media.names()) == 1


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=é"],
)
def test_a_multipart_body_without_a_usable_boundary_is_a_400(api_world, open_request, content_type):
    response = api_world.client("officer").generic(
        "POST",
        request_path(open_request, "replies"),
        b'--xyz\r\nContent-Disposition: form-data; name="message"\r\n\r\nHello\r\n--xyz--\r\n',
        content_type=content_type,
    )

    assert response.status_code == 400
    assert response.json()["type"].endswith("#malformed-body")
    assert not EvidenceRequestReply.objects.filter(request=open_request).exists()


def test_a_multipart_field_the_answer_does_not_know_is_refused(api_world, open_request):
    response = api_world.client("officer").post(
        request_path(open_request, "replies"), {"message": "Hi.", "attachment": "x"}, format="multipart"
    )

    assert response.status_code == 400 and "#/attachment" in pointers(response)


def test_a_closed_request_or_an_ended_engagement_can_no_longer_be_answered(api_world, open_request):
    w = api_world
    path = request_path(open_request, "replies")

    with time_machine.travel(w.engagement.ends_at + datetime.timedelta(minutes=1)):
        ended = w.client("officer").post(path, {"message": "Late."}, format="json")
    w.client("auditor_inside").post(request_path(open_request, "close"))
    closed = w.client("officer").post(path, {"message": "Later."}, format="json")

    assert ended.status_code == 409
    assert ended.json()["detail"] == "The audit engagement has ended; this request can no longer be answered."
    assert closed.status_code == 409
    assert closed.json()["detail"] == "The auditor has closed this request; it can no longer be answered."


def test_the_auditor_cannot_answer_their_own_request(api_world, open_request):
    response = api_world.client("auditor_inside").post(
        request_path(open_request, "replies"), {"message": "Me."}, format="json"
    )

    assert response.status_code == 403
    assert not EvidenceRequestReply.objects.filter(request=open_request).exists()


# --- closing -------------------------------------------------------------------------------------


def test_the_auditor_closes_a_request_once(api_world, open_request):
    client = api_world.client("auditor_inside")

    response = client.post(request_path(open_request, "close"))
    again = client.post(request_path(open_request, "close"))

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["closed_by"]["id"] == api_world.users["auditor_inside"].pk
    assert ledger(LedgerEvent.EVIDENCE_REQUEST_CLOSED)[-1]["status"] == {"from": "open", "to": "closed"}
    assert again.status_code == 409 and again.json()["detail"] == "This request is already closed."


def test_an_officer_cannot_close_a_request(api_world, open_request):
    response = api_world.client("officer").post(request_path(open_request, "close"))

    assert response.status_code == 403
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.OPEN


# --- the file ----------------------------------------------------------------------------------------


def test_the_file_downloads_as_an_attachment_nothing_runs_and_each_download_is_ledgered(api_world):
    w = api_world
    evidence_request, reply = w.extra["audits_request"], w.extra["audits_reply"]
    before = len(ledger(LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED))

    response = w.client("auditor_inside").get(
        f"{request_path(evidence_request)}replies/{reply.pk}/file/", HTTP_ACCEPT="application/octet-stream"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == REPLY_FILE
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    entries = ledger(LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED)
    assert len(entries) == before + 1
    assert (entries[-1]["reply"], entries[-1]["how"], entries[-1]["role"]) == (
        reply.pk,
        "download",
        "auditor",
    )


def test_a_reply_without_a_file_or_of_another_request_has_nothing_to_download(api_world, open_request):
    w = api_world
    client = w.client("officer")
    no_file = client.post(request_path(open_request, "replies"), {"message": "Text only."}, format="json")

    without = client.get(
        f"{request_path(open_request)}replies/{no_file.json()['id']}/file/", HTTP_ACCEPT="application/pdf"
    )
    elsewhere = client.get(f"{request_path(open_request)}replies/{w.extra['audits_reply'].pk}/file/")

    assert (without.status_code, elsewhere.status_code) == (404, 404)
    assert without["Content-Type"] == "application/problem+json" and without.json()["status"] == 404
