"""GET /api/v1/reports/{id}/ledger/: a report's ledger entries as its history page shows them, each
with an inclusion proof an outside client checks against the log's signed checkpoint."""

import base64

import pytest
from django.urls import reverse

from audits.services.work import workpaper_save
from commitments.models import LedgerEntry
from commitments.selectors_review import report_history
from commitments.services.ledger import ledger_append
from commitments.services.ledger.checkpoints import checkpoint_sign
from commitments.vocabulary import LedgerEvent
from tools.tlog import merkle, note

pytestmark = pytest.mark.django_db

PROCEDURE = "Sampled 25 tickets from the internal moderation queue"


def url(report_id) -> str:
    return f"/api/v1/reports/{report_id}/ledger/"


def all_pages(client, first: str) -> list[dict]:
    pages, next_url = [], first
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content[:300]
        pages.append(response.json())
        next_url = pages[-1]["next"]
    return pages


def pinned_key(client) -> note.VerifierKey:
    """What an outside client pins: the log's verifier key, fetched from /log/key."""
    return note.VerifierKey.parse(client.get(reverse("log:key")).content.decode())


def check_proofs(page: dict, key: note.VerifierKey) -> int:
    """Verify each entry's proof as an outside client would (tools/tlog only); the number checked."""
    body = note.checkpoint_open(page["checkpoint"]["text"], key)
    assert page["checkpoint"]["tree_size"] == body.size
    assert page["checkpoint"]["root"] == body.root.hex()
    checked = 0
    for entry in page["results"]:
        proof = entry["inclusion_proof"]
        if proof is None:
            continue
        assert (proof["tree_size"], proof["root"]) == (body.size, body.root.hex())
        assert proof["leaf_index"] == entry["sequence"] - 1
        merkle.verify_inclusion(
            leaf=bytes.fromhex(entry["entry_hash"]),
            index=proof["leaf_index"],
            size=body.size,
            proof=[bytes.fromhex(h) for h in proof["hashes"]],
            root=body.root,
        )
        checked += 1
    return checked


def test_a_member_reads_the_reports_history_with_proofs_that_an_outside_client_verifies(api_world):
    report = api_world.report("published")
    client = api_world.client("viewer")

    page = client.get(url(report.pk)).json()

    entries = list(LedgerEntry.objects.of_report(report.pk))
    assert [e["sequence"] for e in page["results"]] == [e.sequence for e in entries]
    assert [(e["entry_hash"], e["prev_hash"]) for e in page["results"]] == [
        (e.entry_hash, e.prev_hash) for e in entries
    ]
    assert check_proofs(page, pinned_key(client)) == len(entries)


def test_the_checkpoint_text_is_the_one_the_log_serves(api_world, client):
    page = api_world.client("officer").get(url(api_world.report("published").pk)).json()

    assert page["checkpoint"]["text"] == client.get(reverse("log:checkpoint")).content.decode()


def test_each_entry_reads_as_the_history_page_shows_it_to_that_reader(api_world):
    report = api_world.report("published")

    results = api_world.client("officer").get(url(report.pk)).json()["results"]

    rows = report_history(report=report)
    assert [
        (e["event"], e["label"], e["actor"], e["node"], e["node_title"], e["summary"]) for e in results
    ] == [(r.event, r.label, r.actor, r.node, r.node_title, r.summary) for r in rows]
    assert results[0]["event"] == LedgerEvent.REPORT_CREATED
    assert results[0]["actor"] == api_world.users["officer"].email
    actors = {e["event"]: e["actor"] for e in results}
    assert actors[LedgerEvent.PUBLICATION_CREATED] == api_world.users["admin"].email
    assert actors[LedgerEvent.ARTIFACT_RENDERED] == "system"  # the public PDF, rendered by nobody in person


def test_the_payload_itself_is_not_given_only_what_the_history_page_says_of_it(api_world):
    """An auditor's workpaper is ledgered with its texts; the organisation reads that it was
    saved, as on the history page, never the texts."""
    report = api_world.report("published")
    auditor = api_world.users["auditor_inside"]
    workpaper_save(
        engagement=api_world.engagement,
        item=api_world.item("published"),
        acting_user=auditor,
        procedure=PROCEDURE,
        population="All reports of the period",
        sample="25 tickets",
        result="No exceptions",
        conclusion="Conforms",
    )

    response = api_world.client("officer").get(url(report.pk), {"event": LedgerEvent.WORKPAPER_SAVED})

    entries = response.json()["results"]  # the world's own audit work saved one before this
    entry = max(entries, key=lambda e: e["sequence"])
    assert {e["label"] for e in entries} == {LedgerEvent.WORKPAPER_SAVED.label}
    assert PROCEDURE not in response.content.decode()
    assert PROCEDURE in LedgerEntry.objects.get(sequence=entry["sequence"]).payload


def test_entries_newer_than_the_signed_checkpoint_have_no_proof_until_the_next_one(api_world):
    report = api_world.report("published")
    ledger_append(
        event=LedgerEvent.ITEM_COMPANY_RESPONSE_ADDED,
        subject=api_world.item("published"),
        actor=api_world.users["officer"],
        report_id=report.pk,
        data={"node": api_world.item("published").node.node_id, "body": "We disagree."},
    )
    client = api_world.client("officer")

    before = client.get(url(report.pk)).json()
    checkpoint_sign()
    after = client.get(url(report.pk)).json()

    assert before["results"][-1]["inclusion_proof"] is None
    assert all(e["inclusion_proof"] for e in before["results"][:-1])
    assert after["checkpoint"]["tree_size"] == before["checkpoint"]["tree_size"] + 1
    assert check_proofs(after, pinned_key(client)) == len(after["results"])


def test_pages_follow_one_another_and_each_proves_its_entries(api_world):
    report = api_world.report("published")
    client = api_world.client("reviewer")
    key = pinned_key(client)

    pages = all_pages(client, url(report.pk) + "?page_size=2")

    sequences = [e["sequence"] for page in pages for e in page["results"]]
    assert sequences == list(LedgerEntry.objects.of_report(report.pk).values_list("sequence", flat=True))
    assert len(pages) > 2 and all(len(page["results"]) <= 2 for page in pages)
    assert sum(check_proofs(page, key) for page in pages) == len(sequences)


def test_the_engaged_auditor_reads_it_and_the_one_engaged_elsewhere_gets_it_as_unknown(api_world):
    report = api_world.report("in_review")

    inside = api_world.client("auditor_inside").get(url(report.pk))
    outside = api_world.client("auditor_outside").get(url(report.pk))
    absent = api_world.client("auditor_outside").get(url(987654))

    assert inside.status_code == 200
    assert (outside.status_code, outside.json()["detail"]) == (404, absent.json()["detail"])


@pytest.mark.parametrize("state", ["draft", "verified", "published"])
def test_another_organisations_officer_gets_404_and_learns_nothing(api_world, state):
    report = api_world.report(state)

    response = api_world.client("other_officer").get(url(report.pk))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert report.reference not in response.content.decode()
    assert "sequence" not in response.content.decode()


def test_anonymous_callers_are_asked_for_a_token(api_world):
    response = api_world.client("anonymous").get(url(api_world.report("published").pk))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_event_filter_keeps_only_that_event(api_world):
    report = api_world.report("published")

    results = (
        api_world.client("admin").get(url(report.pk), {"event": LedgerEvent.ITEM_UPDATED}).json()["results"]
    )

    assert results and {e["event"] for e in results} == {LedgerEvent.ITEM_UPDATED}


# --- hostile query parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"event": "report.deleted"}, "event"),
        ({"event": "x" * 5000}, "event"),
        ({"evnt": "report.created"}, "evnt"),
    ],
)
def test_bad_query_parameters_are_400s_that_name_them(api_world, query, parameter):
    response = api_world.client("officer").get(url(api_world.report("published").pk), query)

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


@pytest.mark.parametrize("cursor", ["not a cursor", "p=abc", "o=-5&r=1&p=1", "p=1.5", "p=\x00"])
def test_a_cursor_this_list_never_gave_is_a_400_not_a_server_error(api_world, cursor):
    if "=" in cursor:
        cursor = base64.b64encode(cursor.encode()).decode()

    response = api_world.client("officer").get(url(api_world.report("published").pk), {"cursor": cursor})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [e["parameter"] for e in response.json()["errors"]] == ["cursor"]


def test_a_cursor_past_every_entry_is_an_empty_page(api_world):
    cursor = base64.b64encode(b"p=99999999999999999999999999").decode()

    response = api_world.client("officer").get(url(api_world.report("published").pk), {"cursor": cursor})

    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize("size", ["0", "-1", "abc", "1e9", "201", str(10**30), "²"])
def test_a_page_size_that_is_not_1_to_200_is_a_400(api_world, size):
    response = api_world.client("officer").get(url(api_world.report("published").pk), {"page_size": size})

    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == ["page_size"]


@pytest.mark.parametrize("path", ["/api/v1/reports/abc/ledger/", "/api/v1/reports/-1/ledger/"])
def test_an_id_that_is_no_number_is_not_found(api_world, path):
    response = api_world.client("admin").get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_an_id_too_large_for_the_database_is_not_found(api_world):
    response = api_world.client("admin").get(url(10**30))

    assert response.status_code == 404


@pytest.mark.parametrize("size", [2, 200])
def test_a_page_reads_in_a_fixed_number_of_queries_whatever_its_size(
    api_world, django_assert_num_queries, size
):
    report = api_world.report("published")
    client = api_world.client("reviewer")
    client.get(url(report.pk))  # the token's first use is noted once; count a steady request

    # token, report, entries, checkpoint, the proofs' nodes, the items' titles
    with django_assert_num_queries(6):
        client.get(url(report.pk), {"page_size": size})


def test_someone_who_may_not_see_the_report_gets_404_before_any_query_check(api_world):
    response = api_world.client("other_officer").get(url(api_world.report("published").pk), {"evnt": "x"})

    assert response.status_code == 404
