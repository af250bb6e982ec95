"""Reading evidence through the API: an item's list (filtered, paginated, at a fixed number of
queries), one piece with its ETag, and the download: the web's gate, the web's headers, and a
restricted file opened for someone recorded in the ledger exactly as the web records it."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.concurrency import etag_of
from commitments.models import Evidence, LedgerEntry
from commitments.services.evidence import evidence_add, evidence_revise
from commitments.vocabulary import LedgerEvent
from tests.samples import pdf_bytes

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2026, 3, 1)


def list_url(item):
    return reverse("api:item-evidence", args=[item.pk])


def detail_url(evidence):
    return reverse("api:evidence-detail", args=[evidence.pk])


def download_url(evidence):
    return reverse("api:evidence-download", args=[evidence.pk])


def memo(world, state="draft"):
    """The restricted PDF the world attached to the state's first item."""
    return Evidence.objects.get(item=world.item(state), kind="file", visibility="restricted")


def accesses():
    return LedgerEntry.objects.filter(event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED)


def add_link(item, user, title):
    return evidence_add(
        item=item,
        acting_user=user,
        title=title,
        effective_date=EFFECTIVE,
        visibility="public",
        url=f"https://example.test/{title.lower().replace(' ', '-')}",
    )


# --- the list ----------------------------------------------------------------------------------------


def test_an_items_evidence_is_listed_oldest_first_with_what_the_review_page_shows(api_world):
    item = api_world.item("draft")

    response = api_world.client("viewer").get(list_url(item))

    assert response.status_code == 200
    rows = response.json()["results"]
    expected = list(Evidence.objects.filter(item=item).order_by("created_at", "pk"))
    assert [row["id"] for row in rows] == [e.pk for e in expected]
    by_kind = {row["kind"]: row for row in rows}
    assert by_kind["url"]["url"].startswith("https://example.test/policy/")
    assert by_kind["file"]["visibility"] == "restricted"  # members see restricted files, as on the web
    assert by_kind["file"]["media_type"] == "application/pdf"
    assert by_kind["file"]["download"] == download_url(memo(api_world))


def test_the_list_can_be_narrowed_to_current_evidence_kind_and_visibility(api_world):
    item = api_world.item("draft")
    officer = api_world.users["officer"]
    old = add_link(item, officer, "Old policy")
    new = evidence_revise(evidence=old, acting_user=officer, title="New policy")
    client = api_world.client("officer")

    def ids(**query):
        response = client.get(list_url(item), query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert old.pk in ids() and new.pk in ids()
    assert new.pk in ids(current="true") and old.pk not in ids(current="true")
    assert ids(current="false") == {old.pk}
    assert ids(kind="file") == {memo(api_world).pk}
    assert ids(visibility="restricted") == {memo(api_world).pk}


@pytest.mark.parametrize(
    "query",
    [{"kind": "image"}, {"visibility": "secret"}, {"current": "perhaps"}],
    ids=["kind", "visibility", "current"],
)
def test_a_filter_value_that_means_nothing_is_a_400(api_world, query):
    response = api_world.client("officer").get(list_url(api_world.item("draft")), query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["parameter"] == next(iter(query))


@pytest.mark.parametrize("url", [list_url, lambda item: detail_url(memo_of(item))], ids=["list", "detail"])
def test_a_query_parameter_the_endpoint_does_not_read_is_a_400(api_world, url):
    response = api_world.client("officer").get(url(api_world.item("draft")), {"visiblity": "public"})

    assert response.status_code == 400
    assert [error["parameter"] for error in response.json()["errors"]] == ["visiblity"]


def memo_of(item):
    return Evidence.objects.get(item=item, kind="file", visibility="restricted")


def test_the_list_is_paginated_by_cursor(api_world):
    item = api_world.item("draft")
    for n in range(3):
        add_link(item, api_world.users["officer"], f"Policy {n}")
    client = api_world.client("officer")

    first = client.get(list_url(item), {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    seen = [row["id"] for row in first["results"] + second["results"]]
    assert len(first["results"]) == 2
    assert len(seen) == len(set(seen))
    assert set(seen) <= set(Evidence.objects.filter(item=item).values_list("pk", flat=True))


def test_the_list_costs_the_same_queries_however_much_evidence_there_is(api_world):
    item = api_world.item("draft")
    client = api_world.client("officer")
    client.get(list_url(item))  # the token's "last used" is written on a first use

    with CaptureQueriesContext(connection) as few:
        assert client.get(list_url(item)).status_code == 200
    for n in range(6):
        evidence = add_link(item, api_world.users["officer"], f"Policy {n}")
        evidence_revise(
            evidence=evidence, acting_user=api_world.users["contributor"], visibility="restricted"
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(list_url(item))

    assert len(response.json()["results"]) > 12
    assert len(many) == len(few) <= 8


# --- one piece ---------------------------------------------------------------------------------------


def test_one_piece_of_evidence_comes_with_its_etag(api_world):
    evidence = memo(api_world)

    response = api_world.client("auditor_inside").get(detail_url(evidence))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == evidence.pk and body["sha256"] == evidence.sha256
    assert response["ETag"] == etag_of(body)


def test_a_revision_changes_the_etag_of_the_one_it_supersedes(api_world):
    evidence = memo(api_world)
    client = api_world.client("officer")
    before = client.get(detail_url(evidence))

    revision = evidence_revise(
        evidence=evidence, acting_user=api_world.users["officer"], title="Memo, revised"
    )
    after = client.get(detail_url(evidence))

    assert after["ETag"] != before["ETag"]
    assert (after.json()["superseded_by"], after.json()["is_current"]) == (revision.pk, False)
    assert client.get(detail_url(revision)).json()["supersedes"] == evidence.pk


# --- the download ------------------------------------------------------------------------------------


def test_a_restricted_file_downloads_as_the_web_sends_it(api_world):
    evidence = memo(api_world)

    response = api_world.client("reviewer").get(download_url(evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="internal-memo-{evidence.sha256[:12]}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("role", "as_what"),
    [
        ("auditor_inside", "auditor"),
        ("reviewer", "reviewer"),
        ("viewer", "viewer"),
        ("admin", "program_admin"),
    ],
)
def test_opening_a_restricted_file_is_ledgered_naming_the_reader_and_their_role(api_world, role, as_what):
    evidence = memo(api_world)
    before = accesses().count()

    response = api_world.client(role).get(download_url(evidence))

    assert response.status_code == 200
    assert accesses().count() == before + 1
    entry = accesses().order_by("-sequence").first()
    assert entry.actor_id == api_world.users[role].pk
    data = json.loads(entry.payload)["data"]
    assert data == {"evidence": evidence.pk, "sha256": evidence.sha256, "how": "download", "role": as_what}


def test_a_public_file_is_not_ledgered_when_opened(api_world, media):
    public = evidence_add(
        item=api_world.item("draft"),
        acting_user=api_world.users["officer"],
        title="Public policy",
        effective_date=EFFECTIVE,
        visibility="public",
        upload=SimpleUploadedFile("policy.pdf", pdf_bytes("Public policy")),
    )
    before = accesses().count()

    response = api_world.client("viewer").get(download_url(public))

    assert response.status_code == 200
    assert accesses().count() == before


def test_a_refused_download_is_not_ledgered(api_world):
    before = accesses().count()

    for role in ("other_officer", "auditor_outside", "anonymous"):
        assert api_world.client(role).get(download_url(memo(api_world))).status_code in (401, 404)

    assert accesses().count() == before


def test_text_sent_as_a_pdf_downloads_as_the_text_it_is(api_world, media):
    text = evidence_add(
        item=api_world.item("draft"),
        acting_user=api_world.users["officer"],
        title="Escalation runbook",
        effective_date=EFFECTIVE,
        visibility="public",
        upload=SimpleUploadedFile("runbook.pdf", b"Escalate within one hour.\n"),
    )

    response = api_world.client("officer").get(download_url(text))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].endswith('.txt"')


def test_the_download_answers_whatever_the_client_accepts(api_world):
    response = api_world.client("officer").get(download_url(memo(api_world)), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_link_has_nothing_to_download(api_world):
    link = Evidence.objects.filter(item=api_world.item("draft"), kind="url").first()

    response = api_world.client("officer").get(download_url(link), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_missing_stored_file_is_a_404_not_a_server_error(api_world, media):
    # The world's files are in the suite's media folder; `media` points storage at an empty one.
    response = api_world.client("officer").get(download_url(memo(api_world)))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_api_and_the_web_ledger_a_restricted_download_alike(api_world, client):
    evidence = memo(api_world)
    auditor = api_world.users["auditor_inside"]
    client.force_login(auditor)

    web = client.get(reverse("commitments:evidence_download", args=[evidence.pk]))
    api = api_world.client("auditor_inside").get(download_url(evidence))

    assert (web.status_code, api.status_code) == (200, 200)
    assert b"".join(web.streaming_content) == b"".join(api.streaming_content)
    for header in (
        "Content-Type",
        "Content-Disposition",
        "X-Content-Type-Options",
        "Content-Security-Policy",
    ):
        assert web[header] == api[header], header
    by_web, by_api = accesses().order_by("-sequence")[:2][::-1]
    assert by_web.actor_id == by_api.actor_id == auditor.pk
    assert json.loads(by_web.payload)["data"] == json.loads(by_api.payload)["data"]
