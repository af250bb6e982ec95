"""Evidence requests through the pages: the auditor asks from the item page, the officers see it on
their dashboard with its age and answer on the request's page, the auditor closes it. Every URL
along the whole ladder of people; every field with hostile input."""

import datetime
import json

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audits.models import EvidenceRequest
from audits.services.requests import MESSAGE_MAX, request_answer, request_close
from audits.views.requests import requests_context
from commitments.models import LedgerEntry
from commitments.vocabulary import LedgerEvent, RequestStatus
from outbox.models import OutboxEntry, OutboxKind
from tests.audits.builders import engagement_for
from tests.audits.requests_fixtures import *  # noqa: F403 (the fixtures)
from tests.audits.requests_fixtures import MESSAGE
from tests.samples import REFUSED, pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def open_url(engagement, item):
    return reverse("audits:request_open", args=[engagement.pk, item.pk])


def page_url(evidence_request):
    return reverse("audits:request", args=[evidence_request.pk])


def close_url(evidence_request):
    return reverse("audits:request_close", args=[evidence_request.pk])


def item_page_location(engagement, item):
    return f"/audits/{engagement.pk}/items/{item.pk}/#requests"


def due(days=9):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def events(event):
    return [json.loads(e.payload) for e in LedgerEntry.objects.filter(event=event).order_by("sequence")]


@pytest.fixture
def answered(evidence_request, officer):
    request_answer(
        request=evidence_request,
        acting_user=officer,
        message="The March log.",
        file=SimpleUploadedFile("log.pdf", pdf_bytes("March log")),
    )
    return evidence_request


# --- the ladder, on every URL -----------------------------------------------------------------

NOBODY = "anonymous"


def ladder(people, auditor):
    return {NOBODY: None, **people, "the engaged auditor": auditor}


@pytest.mark.parametrize(
    "who,expected",
    [
        (NOBODY, "login"),
        ("another organisation's officer", 404),
        ("viewer", 404),
        ("contributor", 404),
        ("officer", 404),
        ("reviewer", 404),
        ("auditor not engaged", 404),
        ("auditor engaged for another organisation", 404),
        ("auditor engaged for another period", 404),
        ("program admin", 403),  # they see the engagement (they made it); only its auditors audit
        ("the engaged auditor", 302),
    ],
)
def test_opening_a_request_along_the_ladder(client, who, expected, people, auditor, engagement, item):
    response = as_user(client, ladder(people, auditor)[who]).post(
        open_url(engagement, item), {"message": MESSAGE, "due_on": due()}
    )
    if expected == "login":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == item_page_location(engagement, item)
        assert EvidenceRequest.objects.get().message == MESSAGE
    else:
        assert not EvidenceRequest.objects.exists()


VIEW = {
    NOBODY: "login",
    "another organisation's officer": 404,
    "viewer": 404,
    "contributor": 404,
    "officer": 200,
    "reviewer": 404,
    "auditor not engaged": 404,
    "auditor engaged for another organisation": 404,
    "auditor engaged for another period": 404,
    "program admin": 404,
    "the engaged auditor": 200,
}


@pytest.mark.parametrize("who,expected", VIEW.items())
def test_the_request_page_along_the_ladder(client, who, expected, people, auditor, answered):
    response = as_user(client, ladder(people, auditor)[who]).get(page_url(answered))
    if expected == "login":
        assert response.status_code == 302 and "/login" in response["Location"]
        return
    assert response.status_code == expected
    if expected == 200:
        assert MESSAGE in response.content.decode()
        assert "The March log." in response.content.decode()


@pytest.mark.parametrize("who,expected", VIEW.items())
def test_the_answers_file_along_the_ladder(client, who, expected, people, auditor, answered):
    reply = answered.replies.get()
    url = reverse("audits:request_reply_file", args=[answered.pk, reply.pk])
    response = as_user(client, ladder(people, auditor)[who]).get(url)
    if expected == "login":
        assert response.status_code == 302
        return
    assert response.status_code == expected
    accessed = events(LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED)
    if expected == 200:
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response["Content-Disposition"].startswith("attachment")
        [entry] = accessed
        assert entry["actor"] == ladder(people, auditor)[who].pk and entry["data"]["sha256"] == reply.sha256
    else:
        assert accessed == []


# The file given in answer is read in the page, as the item's evidence is (found by the browser
# journey: the auditor could only download it). For the auditors: the officers download their own.
PREVIEW = {**VIEW, "officer": 403}


def preview_url(evidence_request):
    reply = evidence_request.replies.get()
    return reverse("audits:request_reply_preview", args=[evidence_request.pk, reply.pk])


@pytest.mark.parametrize("who,expected", PREVIEW.items())
def test_the_answers_file_preview_along_the_ladder(client, who, expected, people, auditor, answered):
    response = as_user(client, ladder(people, auditor)[who]).get(preview_url(answered))
    if expected == "login":
        assert response.status_code == 302 and "/login" in response["Location"]
        return
    assert response.status_code == expected
    accessed = events(LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED)
    if expected == 200:
        assert '<pre class="preview-text">— page 1 —\nMarch log' in response.content.decode()
        assert response["Cache-Control"] == "private, no-store"
        [entry] = accessed
        assert (entry["actor"], entry["data"]["how"], entry["data"]["role"]) == (
            auditor.pk,
            "preview",
            "auditor",
        )
        assert entry["data"]["sha256"] == answered.replies.get().sha256
    else:
        assert accessed == []


def test_a_text_answer_is_previewed_escaped_and_linked_from_the_item_and_request_pages(
    client, officer, auditor, evidence_request, engagement, item
):
    text = 'Escalations: 3 < 5 & "all" logged > none lost\n'
    request_answer(
        request=evidence_request,
        acting_user=officer,
        file=SimpleUploadedFile("log.txt", text.encode()),
    )
    as_user(client, auditor)

    page = client.get(preview_url(evidence_request)).content.decode()
    assert (
        '<pre class="preview-text">Escalations: 3 &lt; 5 &amp; &quot;all&quot; logged &gt; none lost\n</pre>'
        in page
    )
    for linked_from in (reverse("audits:item", args=[engagement.pk, item.pk]), page_url(evidence_request)):
        assert f'href="{preview_url(evidence_request)}"' in client.get(linked_from).content.decode()
    officer_page = as_user(client, officer).get(page_url(evidence_request)).content.decode()
    assert preview_url(evidence_request) not in officer_page


def test_a_reply_without_a_file_or_of_another_request_has_no_preview(
    client, officer, auditor, answered, evidence_request, engagement, item
):
    from audits.services.requests import request_open

    other = request_open(
        engagement=engagement,
        item=item,
        acting_user=auditor,
        message="And the April log.",
        due_on=timezone.localdate(),
    )
    words_only = request_answer(request=other, acting_user=officer, message="Coming next week.")
    reply = answered.replies.get()
    as_user(client, auditor)

    assert (
        client.get(reverse("audits:request_reply_preview", args=[other.pk, words_only.pk])).status_code == 404
    )
    assert client.get(reverse("audits:request_reply_preview", args=[other.pk, reply.pk])).status_code == 404
    assert events(LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED) == []


@pytest.mark.parametrize(
    "who,expected",
    [*{k: v for k, v in VIEW.items() if k != "the engaged auditor"}.items(), ("the engaged auditor", 403)],
)
def test_answering_along_the_ladder(client, who, expected, people, auditor, evidence_request):
    expected = 302 if expected == 200 else expected
    response = as_user(client, ladder(people, auditor)[who]).post(
        page_url(evidence_request), {"message": "Here it is."}
    )
    if expected == "login":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == expected
    assert evidence_request.replies.exists() == (expected == 302)


@pytest.mark.parametrize(
    "who,expected",
    [*{k: v for k, v in VIEW.items() if k != "officer"}.items(), ("officer", 403)],
)
def test_closing_along_the_ladder(client, who, expected, people, auditor, evidence_request):
    expected = 302 if expected == 200 else expected
    response = as_user(client, ladder(people, auditor)[who]).post(close_url(evidence_request))
    evidence_request.refresh_from_db()
    if expected == "login":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == item_page_location(evidence_request.engagement, evidence_request.item)
    assert (evidence_request.status == RequestStatus.CLOSED) == (expected == 302)


def test_after_the_window_the_auditor_reaches_nothing_of_the_request(client, auditor, answered):
    with time_machine.travel(answered.engagement.ends_at + datetime.timedelta(minutes=1)):
        as_user(client, auditor)
        assert client.get(page_url(answered)).status_code == 404
        assert client.post(close_url(answered)).status_code == 404


def test_a_request_id_never_issued_is_a_404_like_anothers(client, officer):
    assert as_user(client, officer).get(reverse("audits:request", args=[987654])).status_code == 404


# --- the journey --------------------------------------------------------------------------------


def test_request_email_dashboard_answer_and_close(
    client, auditor, officer, engagement, item, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    as_user(client, auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(open_url(engagement, item), {"message": MESSAGE, "due_on": due(12)})
    assert response.status_code == 302
    evidence_request = EvidenceRequest.objects.get()
    entry = OutboxEntry.objects.get(key=f"evidence_request_opened:{evidence_request.pk}")
    assert entry.kind == OutboxKind.EMAIL and entry.payload["to"] == [officer.email]
    [message] = mail.outbox
    assert message.to == [officer.email] and page_url(evidence_request) in message.body

    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        as_user(client, officer)
        dashboard = client.get(reverse("commitments:dashboard")).content.decode()
        due_on = evidence_request.due_on
        assert "Evidence requested by auditors" in dashboard
        assert "opened 3 days ago," in dashboard
        assert f"due {due_on.day} {due_on:%b}" in dashboard
        assert page_url(evidence_request) in dashboard

        refused_data, refused_name, refused_words = REFUSED["elf"]
        response = client.post(
            page_url(evidence_request),
            {"message": "Our logs.", "file": SimpleUploadedFile(refused_name, refused_data)},
        )
        assert response.status_code == 400
        assert refused_words in response.content.decode()
        assert "Our logs." in response.content.decode()  # nothing typed is lost
        assert not evidence_request.replies.exists()

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                page_url(evidence_request),
                {"message": "Our logs.", "file": SimpleUploadedFile("logs.pdf", pdf_bytes("March logs"))},
            )
        assert response.status_code == 302
        evidence_request.refresh_from_db()
        assert evidence_request.status == RequestStatus.ANSWERED
        assert mail.outbox[-1].to == [auditor.email]
        dashboard = client.get(reverse("commitments:dashboard")).content.decode()
        assert "Evidence requested by auditors" not in dashboard  # answered: no longer waiting

        as_user(client, auditor)
        assert client.post(close_url(evidence_request)).status_code == 302

    evidence_request.refresh_from_db()
    assert evidence_request.status == RequestStatus.CLOSED and evidence_request.closed_by == auditor
    for event, actor in (
        (LedgerEvent.EVIDENCE_REQUEST_OPENED, auditor),
        (LedgerEvent.EVIDENCE_REQUEST_ANSWERED, officer),
        (LedgerEvent.EVIDENCE_REQUEST_CLOSED, auditor),
    ):
        [payload] = events(event)
        assert payload["actor"] == actor.pk and payload["report"] == item.report_id


def test_the_dashboard_shows_only_requests_of_the_officers_own_organisations(
    client, evidence_request, other_officer, viewer
):
    for user in (other_officer, viewer):
        dashboard = as_user(client, user).get(reverse("commitments:dashboard")).content.decode()
        assert "Evidence requested by auditors" not in dashboard


def test_the_dashboard_counts_its_queries(client, officer, evidence_request, django_assert_max_num_queries):
    as_user(client, officer)
    client.get(reverse("commitments:dashboard"))
    with django_assert_max_num_queries(30):
        response = client.get(reverse("commitments:dashboard"))
    assert "Evidence requested by auditors" in response.content.decode()


def test_closing_a_closed_request_says_so(client, auditor, evidence_request):
    request_close(request=evidence_request, acting_user=auditor)
    response = as_user(client, auditor).post(close_url(evidence_request), follow=False)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["This request is already closed."]


def test_answering_a_closed_request_is_refused_with_a_message(client, officer, auditor, evidence_request):
    request_close(request=evidence_request, acting_user=auditor)
    response = as_user(client, officer).post(page_url(evidence_request), {"message": "Late."})
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        "The auditor has closed this request; it can no longer be answered."
    ]
    assert not evidence_request.replies.exists()


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,words",
    [
        ({"message": "x" * (MESSAGE_MAX + 1), "due_on": due()}, f"under {MESSAGE_MAX:,} characters"),
        ({"message": "", "due_on": due()}, "This field is required."),
        ({"message": MESSAGE, "due_on": "2001-01-01"}, "The due date is in the past"),
        ({"message": MESSAGE, "due_on": "12/31/2026; DROP TABLE"}, "Give the due date as a date"),
        ({"message": MESSAGE, "due_on": "2026-02-30"}, "Give the due date as a date"),
        ({"message": MESSAGE}, "This field is required."),
    ],
)
def test_bad_input_is_shown_back_with_what_was_typed(client, auditor, engagement, item, data, words):
    response = as_user(client, auditor).post(open_url(engagement, item), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert words in content
    if data.get("message") == MESSAGE:
        assert MESSAGE in content
    assert not EvidenceRequest.objects.exists()
    assert events(LedgerEvent.EVIDENCE_REQUEST_OPENED) == []


def test_another_engagements_item_is_a_404(client, auditor, engagement, other_org, period, program_admin):
    from commitments.services.reports import report_create
    from tests.reports.public_builders import officer_of

    other_report = report_create(organisation=other_org, period=period, acting_user=officer_of(other_org))
    engagement_for(auditor, organisations=[other_org], periods=[period], admin=program_admin)
    other_item = other_report.items.first()
    response = as_user(client, auditor).post(
        open_url(engagement, other_item), {"message": MESSAGE, "due_on": due()}
    )
    assert response.status_code == 404
    assert not EvidenceRequest.objects.exists()


def test_an_item_id_never_issued_is_a_404(client, auditor, engagement, item):
    response = as_user(client, auditor).post(
        reverse("audits:request_open", args=[engagement.pk, 987654]), {"message": MESSAGE, "due_on": due()}
    )
    assert response.status_code == 404


def test_an_engagement_of_someone_else_is_a_404(client, auditor, other_org, period, program_admin, item):
    from tests.factories import UserFactory

    theirs = engagement_for(
        UserFactory(platform_role="auditor"),
        organisations=[item.report.organisation],
        periods=[period],
        admin=program_admin,
    )
    response = as_user(client, auditor).post(open_url(theirs, item), {"message": MESSAGE, "due_on": due()})
    assert response.status_code == 404


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_in_messages_and_replies_is_shown_as_text(client, auditor, officer, engagement, item):
    as_user(client, auditor).post(open_url(engagement, item), {"message": HOSTILE, "due_on": due()})
    evidence_request = EvidenceRequest.objects.get()
    as_user(client, officer).post(page_url(evidence_request), {"message": HOSTILE})
    for user in (officer, auditor):
        content = as_user(client, user).get(page_url(evidence_request)).content.decode()
        assert "<script>alert" not in content and "<img src=x" not in content
        assert content.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 2


def test_an_oversized_reply_is_refused_and_kept(client, officer, evidence_request):
    text = "y" * (MESSAGE_MAX + 1)
    response = as_user(client, officer).post(page_url(evidence_request), {"message": text})
    assert response.status_code == 400
    assert "characters" in response.content.decode() and text in response.content.decode()
    assert not evidence_request.replies.exists()


def test_a_disguised_image_is_refused_on_the_request_page(client, officer, evidence_request):
    data, name, words = REFUSED["png"]
    response = as_user(client, officer).post(
        page_url(evidence_request), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not evidence_request.replies.exists()


def test_a_reply_file_id_of_another_request_is_a_404(client, officer, auditor, answered, engagement, item):
    from audits.services.requests import request_open

    second = request_open(
        engagement=engagement, item=item, acting_user=auditor, message="More.", due_on=timezone.localdate()
    )
    reply = answered.replies.get()
    url = reverse("audits:request_reply_file", args=[second.pk, reply.pk])
    assert as_user(client, officer).get(url).status_code == 404


# --- the item page's panel ----------------------------------------------------------------------


def test_the_item_panel_lists_requests_with_badge_age_and_replies(auditor, answered, engagement, item):
    request = RequestFactory().get("/")
    request.user = auditor
    context = requests_context(engagement=engagement, item=item, user=auditor)
    html = render_to_string("audits/item/_requests.html", context, request=request)
    assert 'class="badge info">Answered' in html
    assert "opened today" in html
    assert "The March log." in html and "log.pdf" in html
    assert f'action="{close_url(answered)}"' in html
    assert f'action="{open_url(engagement, item)}"' in html


def test_the_item_panel_escapes_html(auditor, engagement, item):
    from audits.services.requests import request_open

    request_open(
        engagement=engagement, item=item, acting_user=auditor, message=HOSTILE, due_on=timezone.localdate()
    )
    request = RequestFactory().get("/")
    request.user = auditor
    html = render_to_string(
        "audits/item/_requests.html",
        requests_context(engagement=engagement, item=item, user=auditor),
        request=request,
    )
    assert "<script>alert" not in html and "&lt;script&gt;" in html
