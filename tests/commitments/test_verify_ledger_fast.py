"""The fast ledger check (verify_fast.py): it vouches for an intact ledger by itself, never for
a tampered one, and splits a long ledger between processes that each open their own connection.

test_verify_ledger.py runs every tamper case through it and the reference alike; here random
ledgers with random tampering do the same.
"""

import string
import time

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import event, given, settings
from hypothesis import strategies as st

from commitments.models import LedgerEntry, LedgerHead
from commitments.services.ledger import (
    GENESIS_HASH,
    ledger_append,
    ledger_verify,
    ledger_verify_fast,
    schema,
    verify,
    verify_fast,
)
from tests.commitments.ledger_tampering import TABLE, awkward_chain, chain, make_writable, tamper
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

__all__ = ["awkward_chain", "chain"]  # the fixtures the tamper cases start from


@pytest.fixture
def reference_forbidden(monkeypatch):
    def refuse(**options):
        raise AssertionError("the fast check should have vouched for this ledger by itself")

    monkeypatch.setattr(verify, "ledger_verify", refuse)


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_it_vouches_for_an_intact_ledger_without_the_reference(
    chain, reference_forbidden, batch_size, workers
):
    result = ledger_verify_fast(batch_size=batch_size, workers=workers, parallel_threshold=0)

    assert (result.ok, result.count, result.head_hash) == (True, 5, chain[-1].entry_hash)


def test_it_vouches_for_escaped_payloads_and_odd_columns_without_the_reference(
    awkward_chain, reference_forbidden
):
    assert ledger_verify_fast(batch_size=1).ok
    odd = LedgerEntry.objects.get(sequence=7)
    assert (odd.event, odd.subject_type, odd.subject_id, odd.report_id) == (
        'test.100%-"odd"\\event',
        "commitments.odd\ttype",
        'id"with\\quote',
        7,
    )


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        (f"UPDATE {TABLE} SET payload = replace(payload, 'step5', 'step6') WHERE sequence = 5", []),
        (f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 5", ["ab" * 32]),
        (f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 5", ["ab" * 32]),
        (f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 1", ["ab" * 32]),
        (f"UPDATE {TABLE} SET sequence = 50 WHERE sequence = 5", []),
    ],
)
def test_the_batch_check_does_not_vouch_for_an_edited_entry(chain, sql, params):
    tamper(sql, params)
    first, *rest = verify_fast.entry_batches(100, 1000)
    assert (len(first), rest) == (5, [])

    assert verify_fast._batch_intact(first, 1, GENESIS_HASH.encode(), bytes(32)) is None


# Outside a test transaction, on PostgreSQL, the stretches after the first run in forked workers.
# (SQLite's in-memory test database cannot be shared, so there they run one after another here.)


def committed_ledger(entries=8):
    organisation = OrganisationFactory()
    return [
        ledger_append(event=f"test.step{n}", subject=organisation, actor=None, data={"n": n})
        for n in range(1, entries + 1)
    ]


def in_workers(**options):
    return ledger_verify_fast(batch_size=3, workers=2, parallel_threshold=0, **options)


@pytest.mark.django_db(transaction=True)
def test_forked_workers_check_a_committed_ledger_and_a_tamper_reads_as_the_reference_words_it():
    entries = committed_ledger()
    result = in_workers()
    assert (result.ok, result.count, result.head_hash) == (True, 8, entries[-1].entry_hash)

    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 5", ["cd" * 32])

    result = in_workers()
    assert result == ledger_verify(batch_size=3)
    assert (result.ok, result.first_bad_sequence, result.head_hash) == (False, 5, entries[3].entry_hash)
    assert f"Entry #5 (id {entries[4].pk}): it does not link" in result.problem


def other_sessions():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forked_workers_open_and_close_their_own_sessions(on_postgres):
    committed_ledger()
    before = other_sessions()

    for _ in range(3):
        assert in_workers().ok
        # This process's connection was closed before forking, and opens anew when used.
        assert LedgerEntry.objects.count() == 8

    # Each worker ends its session as it exits (which this process does not wait for).
    deadline = time.monotonic() + 10
    while other_sessions() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_sessions() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_fails_hands_the_check_to_the_reference(on_postgres, monkeypatch):
    entries = committed_ledger()
    check_stretch = verify_fast._check_stretch

    def fail_in_the_worker(after, upto, batch_size):
        if after > 0:
            raise DatabaseError("the worker lost its connection")
        return check_stretch(after, upto, batch_size)

    monkeypatch.setattr(verify_fast, "_check_stretch", fail_in_the_worker)
    references = []
    reference = verify.ledger_verify
    monkeypatch.setattr(
        verify, "ledger_verify", lambda **options: references.append(options) or reference(**options)
    )

    result = in_workers()

    assert (result.ok, result.count, result.head_hash) == (True, 8, entries[-1].entry_hash)
    assert references == [{"batch_size": 3}]


# Random ledgers, randomly tampered with: the fast check, in one stretch or several, reaches the
# reference's verdict, and the reference names the entry that was changed.

# Text a database can hold: no NUL, no lone surrogate.
CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
NAMES = st.text(CHARACTERS, max_size=12)


@st.composite
def tampered_ledgers(draw):
    size = draw(st.integers(1, 6))
    ledger = [
        {
            "event": draw(NAMES),
            "subject": ("commitments.organisation", draw(NAMES)),
            "data": draw(st.dictionaries(NAMES, NAMES | st.integers() | st.none(), max_size=3)),
            "report_id": draw(st.none() | st.integers(0, 2**40)),
        }
        for _ in range(size)
    ]
    sequence = draw(st.integers(1, size))
    kinds = ["payload", "prev_hash", "entry_hash", "delete", "sequence", "head", "column"]
    if connection.vendor == "sqlite":
        kinds.append("payload_byte")
    kind = draw(st.sampled_from(kinds))
    # Where in the text, drawn once its length is known: evenly, as Hypothesis's favourite small
    # numbers would keep to the opening of the JSON, where most changes leave it no longer JSON.
    where = st.randoms(use_true_random=False)
    if kind in ("payload", "prev_hash", "entry_hash"):
        tampering = (kind, draw(where), draw(CHARACTERS | st.sampled_from(string.hexdigits)))
    elif kind == "payload_byte":
        tampering = (kind, draw(where), draw(st.integers(0, 255)))
    elif kind == "sequence":
        tampering = (kind, draw(st.integers(0, size + 2)))
    elif kind == "head":
        tampering = (kind, draw(st.integers(-1, 1)), draw(st.booleans()))
    elif kind == "column":
        column = draw(st.sampled_from(schema.PAYLOAD_COLUMNS))
        value = (
            draw(st.none() | st.integers(0, 2**40))
            if column.endswith("_id") and column != "subject_id"
            else draw(NAMES)
        )
        tampering = (kind, column, value)
    else:
        tampering = (kind,)
    return ledger, sequence, tampering


def apply(tampering, entry):
    """Tamper with the entry as asked; whether its stored row now says something else."""
    kind, *args = tampering
    where = f"WHERE sequence = {entry.sequence}"
    if kind in ("payload", "prev_hash", "entry_hash"):
        position, character = args
        old = getattr(entry, kind)
        position = position.randrange(len(old))
        new = old[:position] + character + old[position + 1 :]
        return refused_or_done(f"UPDATE {TABLE} SET {kind} = %s {where}", [new]) and new != old
    if kind == "payload_byte":
        position, byte = args
        old = entry.payload.encode()
        position = position.randrange(len(old))
        new = old[:position] + bytes([byte]) + old[position + 1 :]
        return refused_or_done(f"UPDATE {TABLE} SET payload = CAST(%s AS TEXT) {where}", [new]) and new != old
    if kind == "delete":
        return refused_or_done(f"DELETE FROM {TABLE} {where}")
    if kind == "sequence":
        return (
            refused_or_done(f"UPDATE {TABLE} SET sequence = %s {where}", args) and args[0] != entry.sequence
        )
    if kind == "head":
        change, rehash = args
        head = LedgerHead.objects.get()
        LedgerHead.objects.filter(id=1).update(
            size=head.size + change, head_hash=GENESIS_HASH if rehash else head.head_hash
        )
        return change != 0 or (rehash and head.head_hash != GENESIS_HASH)
    column, value = args
    make_writable(column)
    before = getattr(LedgerEntry.objects.get(sequence=entry.sequence), column)
    return refused_or_done(f'UPDATE {TABLE} SET "{column}" = %s {where}', [value]) and value != before


def refused_or_done(sql, params=()):
    """True if the database took the change; False if it refused it (e.g. a payload that is no
    longer JSON, from which it cannot generate the columns)."""
    try:
        with transaction.atomic():
            tamper(sql, params)
    except DatabaseError:
        return False
    return True


@settings(max_examples=80)
@given(case=tampered_ledgers(), batch_size=st.sampled_from([1, 2, 3, 1000]), workers=st.integers(1, 3))
def test_random_tampering_gets_the_same_verdict_from_both_checks(case, batch_size, workers):
    ledger, sequence, tampering = case
    with transaction.atomic():
        entries = [ledger_append(actor=None, **entry) for entry in ledger]
        changed = apply(tampering, entries[sequence - 1])
        event(f"{tampering[0]}, {'changed' if changed else 'refused or the same'}")

        reference = ledger_verify(batch_size=batch_size)
        fast = ledger_verify_fast(batch_size=batch_size, workers=workers, parallel_threshold=0)
        transaction.set_rollback(True)

    assert fast == reference
    assert reference.ok == (not changed and tampering[0] != "column")
    if changed and tampering[0] in ("payload", "payload_byte", "prev_hash", "entry_hash", "delete", "column"):
        assert reference.first_bad_sequence == sequence
        assert reference.count == sequence - 1
