"""verify_ledger against the transparency log: rewrites the hash chain alone cannot catch are
caught by the root of the latest signed checkpoint (issue 13's consistent rewrite and truncation)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from commitments.models import LedgerEntry, LedgerHead, LedgerImmutableError
from commitments.services.ledger import chain_hash, ledger_append, ledger_verify_fast
from commitments.services.ledger.checkpoints import checkpoint_sign
from tests.commitments.ledger_tampering import TABLE, tamper

pytestmark = pytest.mark.django_db


def append(count, start=0):
    for number in range(start, start + count):
        ledger_append(
            event="test.log", subject=("test.thing", number), actor=None, data={"verdict": "verified"}
        )


def rewrite_consistently(sequence, data):
    """Change an entry's data and recompute every later hash and the head, as an insider could."""
    prev = LedgerEntry.objects.get(sequence=sequence).prev_hash
    for entry in LedgerEntry.objects.filter(sequence__gte=sequence).order_by("sequence"):
        payload = json.loads(entry.payload)
        if entry.sequence == sequence:
            payload["data"] = data
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        new_hash = chain_hash(prev, text)
        tamper(
            f"UPDATE {TABLE} SET payload = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s",
            [text, prev, new_hash, entry.sequence],
        )
        prev = new_hash
    LedgerHead.objects.filter(id=1).update(head_hash=prev)


def truncate(keep):
    tamper(f"DELETE FROM {TABLE} WHERE sequence > %s", [keep])
    LedgerHead.objects.filter(id=1).update(
        size=keep, head_hash=LedgerEntry.objects.get(sequence=keep).entry_hash
    )


def verify():
    call_command("verify_ledger")


def test_an_untouched_ledger_matches_its_checkpoint(capsys):
    append(6)
    checkpoint_sign()
    append(3, start=6)
    verify()
    out = capsys.readouterr().out
    assert "Ledger intact: 9 entries" in out
    assert "at 9 entries; matches the checkpoint signed at size 6." in out


def test_a_consistent_rewrite_passes_the_chain_but_not_the_checkpoint():
    append(6)
    checkpoint_sign()
    append(2, start=6)
    rewrite_consistently(3, {"verdict": "not_verified"})
    assert ledger_verify_fast().ok  # the chain alone cannot tell
    with pytest.raises(CommandError, match="first 6 entries hash to the root .* history was rewritten"):
        verify()


def test_deleting_the_newest_entries_and_resetting_the_head_is_caught():
    append(6)
    checkpoint_sign()
    truncate(4)
    assert ledger_verify_fast().ok
    with pytest.raises(CommandError, match="signed at size 6 covers more entries than the ledger's 4"):
        verify()


def test_a_rewrite_after_the_last_checkpoint_is_caught_by_the_stored_tree():
    append(4)
    checkpoint_sign()
    append(3, start=4)
    rewrite_consistently(6, {"verdict": "not_verified"})
    with pytest.raises(
        CommandError, match="stored Merkle tree's root at size 7 .* disagrees with the ledger"
    ):
        verify()


def test_an_edited_checkpoint_is_caught():
    append(3)
    checkpoint = checkpoint_sign()
    forged = checkpoint.note.replace("\n3\n", "\n2\n")
    checkpoint.note = forged
    with pytest.raises(LedgerImmutableError):  # the model refuses; an insider uses SQL
        checkpoint.save()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # its trigger, off for this transaction only
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE commitments_checkpoint SET note = %s", [forged])
    with pytest.raises(CommandError, match="checkpoint at size 3 does not verify"):
        verify()
