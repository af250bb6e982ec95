"""The public log under /log/: what a client written from c2sp.org/tlog-tiles and
c2sp.org/tlog-checkpoint fetches, the JSON proofs, and hostile requests (400/404, never 500)."""

import base64
import hashlib

import pytest
from django.conf import settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from commitments.models import LedgerEntry
from commitments.services.ledger import ledger_append
from commitments.services.ledger.checkpoints import checkpoint_sign
from tools.tlog import merkle, note
from tools.tlog.tiles import tile_index, tile_index_path

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def first_checkpoint(db):
    """What a new log has once the scheduler first ran: a checkpoint of the empty tree."""
    checkpoint_sign()


def append(count):
    """Entries, then the checkpoint the outbox signs once they commit (views never sign)."""
    for number in range(count):
        ledger_append(event="test.log", subject=("test.thing", number), actor=None, data={"n": number})
    checkpoint_sign()


def fetch(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.content[:200])
    return response


# A client written from the specs only: SHA-256 and the RFC 6962 recursion, tiles of 256 hashes.


def spec_hash_tree(hashes):
    """MTH over already-hashed leaves (RFC 6962 section 2.1)."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + spec_hash_tree(hashes[:k]) + spec_hash_tree(hashes[k:])).digest()


def spec_tile_path(level, index, width):
    digits = str(index).zfill(3)
    digits = digits.zfill((len(digits) + 2) // 3 * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    path = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return f"/log/tile/{level}/{path}" + ("" if width == 256 else f".p/{width}")


def spec_level_hashes(client, level, size):
    count = size // 256**level  # hashes at this level: full tiles, then the partial one
    hashes = []
    for index in range((count + 255) // 256):
        width = min(256, count - index * 256)
        response = fetch(client, spec_tile_path(level, index, width))
        assert response["Content-Type"] == "application/octet-stream"
        assert len(response.content) == 32 * width
        hashes += [response.content[i : i + 32] for i in range(0, len(response.content), 32)]
    return hashes


def spec_client_root(client):
    """Fetch and verify the checkpoint with the published key, then recompute its root from tiles."""
    verifier = fetch(client, "/log/key").content.decode().strip()
    name, key_id, key_b64 = verifier.split("+", 2)
    checkpoint = fetch(client, "/log/checkpoint")
    assert checkpoint["Content-Type"] == "text/plain; charset=utf-8"
    text, _, signatures = checkpoint.content.decode().rpartition("\n\n")
    text += "\n"
    (line,) = signatures.splitlines()
    dash, signer, signature = line.split(" ")
    signature = base64.b64decode(signature)
    assert (dash, signer, signature[:4].hex()) == ("\u2014", name, key_id)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64)[1:]).verify(signature[4:], text.encode())
    origin, size, root = text.splitlines()
    size, root = int(size), base64.b64decode(root)
    leaves = spec_level_hashes(client, 0, size)
    level = 1
    while size // 256**level:  # every higher tile hash is the MTH of a full tile below
        below = spec_level_hashes(client, level - 1, size)
        for i, value in enumerate(spec_level_hashes(client, level, size)):
            assert value == spec_hash_tree(below[i * 256 : (i + 1) * 256])
        level += 1
    return origin, size, root, spec_hash_tree(leaves) if leaves else hashlib.sha256(b"").digest()


def test_a_client_written_from_the_specs_recomputes_the_checkpoint_root_from_tiles(client):
    append(5)
    origin, size, root, recomputed = spec_client_root(client)
    assert (origin, size) == ("pledgeproof.test/log", 5)
    assert recomputed == root
    # ... and the leaves are the entries' hashes, hashed as RFC 6962 leaves.
    leaves = spec_level_hashes(client, 0, size)
    hashes = LedgerEntry.objects.values_list("entry_hash", flat=True)
    assert leaves == [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in hashes]


def test_a_log_of_more_than_256_entries_is_served_as_full_partial_and_higher_level_tiles(client):
    append(513)
    origin, size, root, recomputed = spec_client_root(client)
    assert size == 513 and recomputed == root
    assert len(fetch(client, "/log/tile/1/000.p/2").content) == 64
    assert fetch(client, "/log/tile/0/001")["Cache-Control"] == "public, max-age=31536000, immutable"
    # A partial tile for an earlier size stays available (a prefix of the full tile).
    assert fetch(client, "/log/tile/0/000.p/5").content == fetch(client, "/log/tile/0/000").content[: 5 * 32]
    fetch(client, "/log/tile/0/003", status=404)
    fetch(client, "/log/tile/0/002.p/2", status=404)


def test_the_checkpoint_follows_the_log_and_is_cached_briefly(client):
    append(2)
    first = fetch(client, "/log/checkpoint")
    assert first["Cache-Control"] == "public, max-age=10"
    assert first["Access-Control-Allow-Origin"] == "*"
    append(1)
    assert fetch(client, "/log/checkpoint").content.decode().splitlines()[1] == "3"


def test_the_key_endpoint_publishes_the_verifier_key(client):
    key = note.VerifierKey.parse(fetch(client, "/log/key").content.decode())
    append(1)
    assert note.checkpoint_open(fetch(client, "/log/checkpoint").content, key).size == 1


def test_the_empty_log_serves_a_checkpoint_and_no_tiles(client):
    assert fetch(client, "/log/checkpoint").content.decode().splitlines()[1] == "0"
    fetch(client, "/log/tile/0/000.p/1", status=404)


def test_an_inclusion_proof_of_an_entry_verifies_against_the_signed_checkpoint(client):
    append(11)
    data = fetch(client, reverse("log:inclusion", args=["7"])).json()
    body = note.checkpoint_open(
        data["checkpoint"], note.VerifierKey.parse(fetch(client, "/log/key").content.decode())
    )
    assert (data["sequence"], data["leaf_index"], data["tree_size"]) == (7, 6, 11) == (7, 6, body.size)
    assert data["entry_hash"] == LedgerEntry.objects.get(sequence=7).entry_hash
    merkle.verify_inclusion(
        leaf=bytes.fromhex(data["entry_hash"]),
        index=6,
        size=body.size,
        proof=[bytes.fromhex(h) for h in data["proof"]],
        root=body.root,
    )
    older = fetch(client, reverse("log:inclusion", args=["7"]) + "?size=8").json()
    assert older["tree_size"] == 8 and older["checkpoint"] is None
    assert bytes.fromhex(older["root"]) == merkle.mth(
        [
            bytes.fromhex(h)
            for h in LedgerEntry.objects.filter(sequence__lte=8).values_list("entry_hash", flat=True)
        ]
    )


def test_a_consistency_proof_shows_the_log_extends_an_older_size(client):
    append(6)
    old_root = bytes.fromhex(fetch(client, "/log/proof/consistency?old=0&new=6").json()["new_root"])
    append(7)
    data = fetch(client, "/log/proof/consistency?old=6").json()
    assert (data["old_size"], data["new_size"], data["old_root"]) == (6, 13, old_root.hex())
    merkle.verify_consistency(
        old_size=6,
        new_size=13,
        old_root=old_root,
        new_root=note.CheckpointBody.parse(data["checkpoint"].split("\n\n")[0] + "\n").root,
        proof=[bytes.fromhex(h) for h in data["proof"]],
    )


@pytest.mark.parametrize(
    "path, status",
    [
        ("/log/tile/64/000", 400),
        ("/log/tile/01/000", 400),
        ("/log/tile/0/00", 400),
        ("/log/tile/0/0000", 400),
        ("/log/tile/0/x000/001", 400),
        ("/log/tile/0/x1/001", 400),
        ("/log/tile/0/000.p/0", 400),
        ("/log/tile/0/000.p/256", 400),
        ("/log/tile/0/000.p/02", 400),
        ("/log/tile/0/000.p/99999999999999999999999", 400),
        ("/log/tile/99999999999999999999999999/000", 400),
        ("/log/tile/0/" + "x999/" * 40 + "999", 400),
        ("/log/tile/0/x999/x999/x999/x999/x999/999", 404),
        ("/log/tile/0/001", 404),
        ("/log/tile/0/000.p/4", 404),
        ("/log/tile/1/000.p/1", 404),
        ("/log/tile/-1/000", 400),
        ("/log/tile/0/abc", 400),
        ("/log/tile/0/000.p/1/", 400),
        ("/log/tile/0/000.p/1/../../001", 400),
        ("/log/tile/", 404),
        ("/log/tile/entries/000.p/1", 404),
        ("/log/proof/inclusion/0", 400),
        ("/log/proof/inclusion/-1", 400),
        ("/log/proof/inclusion/abc", 400),
        ("/log/proof/inclusion/1e3", 400),
        ("/log/proof/inclusion/01", 400),
        ("/log/proof/inclusion/" + "9" * 40, 400),
        ("/log/proof/inclusion/4", 404),
        ("/log/proof/inclusion/1?size=abc", 400),
        ("/log/proof/inclusion/1?size=-3", 400),
        ("/log/proof/inclusion/1?size=" + "9" * 40, 400),
        ("/log/proof/inclusion/1?size=4", 404),
        ("/log/proof/inclusion/1?size=0", 404),
        ("/log/proof/consistency", 400),
        ("/log/proof/consistency?old=x", 400),
        ("/log/proof/consistency?old=2&new=1", 400),
        ("/log/proof/consistency?old=1&new=4", 404),
        ("/log/proof/consistency?old=1&new=" + "9" * 18, 404),
        ("/log/proof/consistency?old=1&new=" + "9" * 19, 400),
        ("/log/proof/consistency?old=1&new=1%00", 400),
    ],
)
def test_hostile_requests_get_a_clear_400_or_404(client, path, status):
    append(3)
    response = fetch(client, path, status=status)
    # Never cached for long: the tile may exist once the log grows. (Django's own 404 for a path
    # no route matches sets no Cache-Control at all.)
    assert response.get("Cache-Control") in ("public, max-age=10", None)


@pytest.mark.parametrize(
    "path", ["/log/checkpoint", "/log/key", "/log/tile/0/000.p/1", "/log/proof/inclusion/1"]
)
def test_the_log_only_answers_reads(client, path):
    append(1)
    assert client.post(path).status_code == 405
    assert client.head(path).status_code == 200


def test_everyone_reads_the_same_public_log(client, officer, other_officer, viewer, reviewer, program_admin):
    append(3)
    paths = ["/log/checkpoint", "/log/key", "/log/tile/0/000.p/3", "/log/proof/inclusion/2"]
    anonymous = [fetch(client, path).content for path in paths]
    for user in (other_officer, viewer, officer, reviewer, program_admin):
        client.force_login(user)
        assert [fetch(client, path).content for path in paths] == anonymous
        client.logout()


@pytest.mark.parametrize(
    "index, path", [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")]
)
def test_tile_indexes_use_the_specs_path_form(index, path):
    assert tile_index_path(index) == path
    assert tile_index(path) == index


def test_the_methodology_page_explains_the_log_and_shows_its_key(client):
    page = fetch(client, reverse("public:methodology")).content.decode()
    key = fetch(client, "/log/key").content.decode().strip()
    assert key in page
    assert 'href="/log/checkpoint"' in page
    assert "serves no entry bundles" in page
    assert f"python manage.py witness {settings.SITE_URL}/log --state DIR --key KEY" in page


@given(st.integers(0, 10**18))
def test_every_tile_index_round_trips_through_its_path(index):
    assert tile_index(tile_index_path(index)) == index


@given(st.text(alphabet="x0123456789/.p", max_size=40))
def test_any_other_tile_path_is_refused_without_error(path):
    index = tile_index(path)
    assert index is None or tile_index_path(index) == path
