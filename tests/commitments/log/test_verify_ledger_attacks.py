"""verify_ledger against an insider who rewrites or truncates history (issue 13, item 6), and
`verify_ledger --checkpoint FILE` with a checkpoint saved before it: each attack is caught, by
which check, with what message; a hostile checkpoint file is refused; an untouched log passes.

The saved checkpoint is the body /log/checkpoint served, which is what `manage.py witness` keeps
in its state folder as `checkpoint`.
"""

from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from commitments.models import Checkpoint, LedgerEntry, LedgerHead
from commitments.services.ledger import ledger_append, ledger_verify_fast
from commitments.services.ledger.checkpoints import checkpoint_sign, log_origin
from tests.commitments.log.test_verify_ledger_log import append, rewrite_consistently, truncate
from tools.tlog import note

pytestmark = pytest.mark.django_db

backfill = __import__("commitments.migrations.0008_merkle_backfill_and_append_only", fromlist=["x"]).backfill


@contextmanager
def as_superuser():
    """On PostgreSQL the log's tables refuse changes; a superuser has this session fire no trigger."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")


def rebuild_tree():
    """Recompute the stored Merkle tree from the entries as they are now: a thorough attacker."""
    with as_superuser(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM commitments_merklenode")
    backfill(apps, None)


def drop_checkpoints(above=-1):
    with as_superuser(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM commitments_checkpoint WHERE size > %s", [above])


def save_checkpoint(client, folder: Path) -> Path:
    """What a witness saves: the body of /log/checkpoint."""
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    path = folder / "checkpoint"
    path.write_bytes(response.content)
    return path


def verify(*args):
    call_command("verify_ledger", *map(str, args))


def fails(*args, returncode=1) -> str:
    with pytest.raises(CommandError) as failure:
        verify(*args)
    assert failure.value.returncode == returncode
    return str(failure.value)


def log_of(sizes):
    """Entries with a checkpoint signed at each of `sizes`, as the outbox signs after changes."""
    for size in sizes:
        start = LedgerEntry.objects.count()
        append(size - start, start=start)
        checkpoint_sign()


# --- an untouched log ---------------------------------------------------------------------------


def test_an_untouched_log_extends_a_checkpoint_saved_earlier(client, tmp_path, capsys):
    log_of([4, 8])
    saved = save_checkpoint(client, tmp_path)
    log_of([12])

    verify("--checkpoint", saved)

    out = capsys.readouterr().out
    assert "Ledger intact: 12 entries" in out
    assert "matches the checkpoint signed at size 12." in out
    assert "The ledger extends the checkpoint saved at size 8 (root " in out


def test_the_checkpoint_saved_now_is_extended_too(client, tmp_path, capsys):
    log_of([5])
    verify("--checkpoint", save_checkpoint(client, tmp_path))
    assert "extends the checkpoint saved at size 5" in capsys.readouterr().out


# --- a consistent rewrite -----------------------------------------------------------------------


def test_a_consistent_rewrite_with_the_tree_left_alone_is_caught_twice(client, tmp_path):
    log_of([6])
    saved = save_checkpoint(client, tmp_path)
    append(2, start=6)
    rewrite_consistently(3, {"verdict": "not_verified"})
    assert ledger_verify_fast().ok  # the chain alone cannot tell

    message = fails()
    assert "first 6 entries hash to the root" in message
    assert "the tree served at /log/ disagrees with the ledger" in message

    message = fails("--checkpoint", saved)
    assert "The first 6 entries no longer hash to the root of the checkpoint saved at size 6" in message
    # The stored tree still is the one the witness saw: its consistency proof holds.
    assert "does not extend the checkpoint saved" not in message


def test_a_thorough_rewrite_that_rebuilds_the_tree_fails_the_latest_checkpoint_and_the_saved_one(
    client, tmp_path
):
    log_of([6])
    saved = save_checkpoint(client, tmp_path)
    rewrite_consistently(3, {"verdict": "not_verified"})
    rebuild_tree()

    message = fails()
    assert "first 6 entries hash to the root" in message and "history was rewritten" in message
    assert "disagrees with the ledger" not in message  # the tree now agrees with the entries

    message = fails("--checkpoint", saved)
    assert "The first 6 entries no longer hash to the root of the checkpoint saved at size 6" in message
    assert (
        "The Merkle tree served at /log/ (size 6) does not extend the checkpoint saved at size 6: "
        "two different roots for the same size 6." in message
    )


def test_a_rewrite_re_signed_with_the_log_key_passes_the_platform_but_not_a_saved_checkpoint(
    client, tmp_path, capsys
):
    log_of([6])
    saved = save_checkpoint(client, tmp_path)
    rewrite_consistently(3, {"verdict": "not_verified"})
    append(1, start=6)
    rebuild_tree()
    drop_checkpoints()
    checkpoint_sign()

    verify()  # everything the platform holds agrees with itself
    assert "matches the checkpoint signed at size 7" in capsys.readouterr().out

    message = fails("--checkpoint", saved)
    assert (
        "The first 6 entries no longer hash to the root of the checkpoint saved at size 6: history was "
        "rewritten; no checkpoint the log signed before it still matches the entries, so the change lies "
        "in entries 1\u20136." in message
    )
    assert "(size 7) does not extend the checkpoint saved at size 6" in message


def test_the_divergence_is_narrowed_by_the_checkpoints_the_log_signed_before(client, tmp_path):
    log_of([4, 8, 12, 16, 20])
    saved = save_checkpoint(client, tmp_path)
    rewrite_consistently(10, {"verdict": "not_verified"})

    message = fails("--checkpoint", saved)

    assert (
        "The first 20 entries no longer hash to the root of the checkpoint saved at size 20: history was "
        "rewritten; the entries up to 8 still match the checkpoint the log signed at that size, its "
        "checkpoint at size 12 no longer does, so the change lies in entries 9\u201312." in message
    )


def test_stored_checkpoints_that_do_not_verify_are_ignored_and_named(client, tmp_path):
    log_of([4, 8, 12, 16, 20])
    saved = save_checkpoint(client, tmp_path)
    rewrite_consistently(10, {"verdict": "not_verified"})
    forged = Checkpoint.objects.get(size=8).note.replace("\n8\n", "\n9\n")  # no longer what was signed
    with as_superuser(), connection.cursor() as cursor:
        cursor.execute("UPDATE commitments_checkpoint SET note = %s WHERE size = 8", [forged])

    message = fails("--checkpoint", saved)

    assert "the entries up to 4 still match" in message
    assert "so the change lies in entries 5\u201312." in message
    assert "(Ignored: stored checkpoints whose signature does not verify, at sizes 8.)" in message


def test_a_rewrite_before_every_stored_checkpoint_is_placed_in_the_first_entries(client, tmp_path):
    log_of([4, 8])
    saved = save_checkpoint(client, tmp_path)
    rewrite_consistently(2, {"verdict": "not_verified"})

    message = fails("--checkpoint", saved)

    assert (
        "no checkpoint the log signed before it still matches the entries, its checkpoint at size 4 no "
        "longer does, so the change lies in entries 1\u20134." in message
    )


# --- truncation with the head reset -------------------------------------------------------------


def test_a_truncation_is_caught_by_the_latest_checkpoint_and_the_saved_one(client, tmp_path):
    log_of([6])
    saved = save_checkpoint(client, tmp_path)
    truncate(4)
    assert ledger_verify_fast().ok

    assert "signed at size 6 covers more entries than the ledger's 4: entries were removed" in fails()
    assert (
        "The checkpoint saved at size 6 covers more entries than the ledger holds (its head says 4): "
        "entries were removed." in fails("--checkpoint", saved)
    )


def test_a_truncation_that_also_deletes_the_newer_checkpoints_is_caught_by_the_saved_one(
    client, tmp_path, capsys
):
    log_of([2, 6])
    saved = save_checkpoint(client, tmp_path)
    truncate(4)
    drop_checkpoints(above=4)

    verify()  # the platform's own checkpoints no longer say there were more
    assert "matches the checkpoint signed at size 2" in capsys.readouterr().out
    assert "covers more entries than the ledger holds (its head says 4): entries were removed" in fails(
        "--checkpoint", saved
    )


def test_a_truncated_log_grown_again_to_the_saved_size_is_placed_after_the_truncation(client, tmp_path):
    log_of([2, 4, 6])
    saved = save_checkpoint(client, tmp_path)
    truncate(4)
    drop_checkpoints(above=4)
    rebuild_tree()
    for number in range(2):  # two other entries where the removed ones were
        ledger_append(event="test.log", subject=("test.other", number), actor=None, data={})
    checkpoint_sign()
    assert LedgerHead.objects.get().size == 6

    message = fails("--checkpoint", saved)

    assert "the log's key also signed a checkpoint at size 6 with the root they hash to now" in message
    assert (
        "the entries up to 4 still match the checkpoint the log signed at that size, so the change lies in "
        "entries 5\u20136." in message
    )


# --- a hostile checkpoint file -----------------------------------------------------------------


@pytest.fixture
def signed_log():
    log_of([3])


def test_a_missing_checkpoint_file_is_a_usage_error(signed_log, tmp_path):
    message = fails("--checkpoint", tmp_path / "nothing-here", returncode=2)
    assert "Cannot read the checkpoint file" in message and "No such file or directory" in message


def test_a_folder_given_as_the_checkpoint_file_is_a_usage_error(signed_log, tmp_path):
    assert "Cannot read the checkpoint file" in fails("--checkpoint", tmp_path, returncode=2)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "the note has no signature block"),
        (b"\x00\xff\xfe binary \x89PNG\r\n\x1a\n" * 40, "the note is not UTF-8"),
        ("Pledgeproof\n3\nnot base64!\n\n\u2014 x y\n".encode(), "a signature is not valid base64"),
        (b"A" * (note.MAX_NOTE_BYTES + 1), "larger than a checkpoint can be (65,536 bytes): it is not one."),
        (b"A" * (50 * 1024 * 1024), "larger than a checkpoint can be"),
    ],
    ids=["empty", "binary", "malformed", "just-too-large", "huge"],
)
def test_a_file_that_is_no_checkpoint_is_refused(signed_log, tmp_path, content, reason):
    path = tmp_path / "checkpoint"
    path.write_bytes(content)
    message = fails("--checkpoint", path)
    assert f"The checkpoint file {path}" in message
    assert reason in message


def test_a_checkpoint_signed_by_another_key_under_the_logs_name_is_refused(signed_log, tmp_path):
    latest = Checkpoint.objects.get(size=3)
    body = note.CheckpointBody(origin=log_origin(), size=3, root=bytes(latest.root)).text()
    path = tmp_path / "checkpoint"
    path.write_text(note.note_sign(body, name=log_origin(), private_key=Ed25519PrivateKey.generate()))

    assert "the note carries no signature by the log's key" in fails("--checkpoint", path)


def test_a_saved_checkpoint_with_an_edited_size_is_refused(client, signed_log, tmp_path):
    path = save_checkpoint(client, tmp_path)
    path.write_text(path.read_text().replace("\n3\n", "\n2\n"))

    assert "the log's signature does not verify" in fails("--checkpoint", path)


def test_placing_a_divergence_costs_no_query_per_stored_checkpoint(
    client, tmp_path, django_assert_max_num_queries
):
    log_of(list(range(1, 61)))
    saved = save_checkpoint(client, tmp_path)
    rewrite_consistently(30, {"verdict": "not_verified"})
    with django_assert_max_num_queries(40):  # not one per stored checkpoint (60)
        message = fails("--checkpoint", saved)
    assert "the entries up to 29 still match" in message
    assert "so the change lies in entry 30." in message
    assert LedgerEntry.objects.count() == 60


def test_without_the_log_key_a_saved_checkpoint_cannot_be_checked(client, signed_log, tmp_path, settings):
    path = save_checkpoint(client, tmp_path)
    settings.PLEDGEPROOF_LOG_KEY = str(tmp_path / "no-key.pem")

    message = fails("--checkpoint", path, returncode=2)

    assert "Cannot check the checkpoint file without the log's key: No log key at" in message
