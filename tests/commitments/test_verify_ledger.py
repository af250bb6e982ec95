"""The ledger checks and the verify_ledger command against someone who can write to the database.

Each tamper goes around the application with raw SQL, as a person with database access would,
and runs through every way of checking: the reference (verify.py), the fast check
(verify_fast.py) in one stretch and split into stretches as a long ledger is, and the command
with and without --reference. They must all reach the same verdict.
"""

import tracemalloc
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from commitments.models import LedgerEntry, LedgerHead
from commitments.services.ledger import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    ledger_append,
    ledger_verify,
    ledger_verify_fast,
    schema,
    verify,
)
from tests.commitments.ledger_tampering import TABLE, awkward_chain, chain, make_writable, tamper

__all__ = ["awkward_chain", "chain"]  # the fixtures the tamper cases start from

pytestmark = pytest.mark.django_db


def fast_in_parts(**options):
    """The fast check split into three stretches, as a long ledger is (one after another here:
    a forked worker could not see the test's transaction)."""
    return ledger_verify_fast(workers=3, parallel_threshold=0, **options)


CHECKS = {"reference": ledger_verify, "fast": ledger_verify_fast, "fast_in_parts": fast_in_parts}


@pytest.fixture(params=list(CHECKS))
def check(request):
    return CHECKS[request.param]


def command_args(check):
    return ["--reference"] if check is ledger_verify else []


def assert_fails_at(check, sequence, *phrases):
    result = check(batch_size=2)
    assert not result.ok
    assert result.first_bad_sequence == sequence
    assert result.count == sequence - 1
    for phrase in phrases:
        assert phrase in result.problem
    assert check() == result

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", *command_args(check))
    assert failure.value.returncode == 1
    assert f"#{sequence}" in str(failure.value)
    return result


def test_an_intact_chain_verifies_and_the_command_prints_count_and_head(chain, check):
    result = check(batch_size=2)

    assert result.ok
    assert (result.count, result.head_hash) == (5, chain[-1].entry_hash)
    assert result.first_bad_sequence is None
    out = StringIO()
    call_command("verify_ledger", *command_args(check), stdout=out)
    assert out.getvalue().splitlines()[0] == f"Ledger intact: 5 entries, head {chain[-1].entry_hash}"


def test_an_empty_ledger_is_intact(check):
    result = check()

    assert (result.ok, result.count, result.head_hash) == (True, 0, GENESIS_HASH)
    out = StringIO()
    call_command("verify_ledger", *command_args(check), stdout=out)
    assert "Ledger intact: 0 entries" in out.getvalue()


def test_it_catches_an_edited_payload(chain, check):
    tamper(
        f"UPDATE {TABLE} SET payload = %s WHERE sequence = 3",
        [chain[2].payload.replace('"n":3', '"n":30')],
    )

    assert_fails_at(check, 3, f"Entry #3 (id {chain[2].pk})", "altered", chain[2].entry_hash)


def test_the_payload_columns_are_read_from_the_payload_by_the_database(chain):
    entry = LedgerEntry.objects.get(sequence=4)

    assert (entry.event, entry.actor_id, entry.subject_type, entry.subject_id, entry.report_id) == (
        "test.step4",
        None,
        "commitments.organisation",
        str(chain[0].subject_id),
        44,
    )
    assert LedgerEntry.objects.filter(report_id=44).get() == entry


@pytest.mark.parametrize("column", schema.PAYLOAD_COLUMNS)
def test_the_database_refuses_to_write_a_payload_column(chain, column):
    # Even with the append-only trigger switched off: the column is the database's to compute.
    with (
        pytest.raises(DatabaseError, match="generated column|can only be updated to DEFAULT"),
        transaction.atomic(),
    ):
        tamper(f'UPDATE {TABLE} SET "{column}" = %s WHERE sequence = 3', ["41" if "id" in column else "x"])

    assert ledger_verify().ok
    assert ledger_verify_fast().ok


@pytest.mark.parametrize(
    ("column", "value", "wording"),
    [
        ("event", "test.forged", "its event column says 'test.forged', but its payload says 'test.step4'"),
        ("actor_id", 12345, "its actor_id column says 12345, but its payload says None"),
        (
            "subject_id",
            "999999",
            "its subject_id column says '999999', but its payload says '{organisation}'",
        ),
        (
            "subject_type",
            "accounts.user",
            "its subject_type column says 'accounts.user', but its payload says 'commitments.organisation'",
        ),
        ("report_id", 41, "its report_id column says 41, but its payload says 44"),
    ],
)
def test_a_payload_column_made_writable_and_edited_is_named(chain, check, column, value, wording):
    make_writable(column)
    tamper(f'UPDATE {TABLE} SET "{column}" = %s WHERE sequence = 4', [value])

    wording = wording.format(organisation=chain[0].subject_id)
    result = assert_fails_at(check, 4, f"Entry #4 (id {chain[3].pk}): {wording}.")
    assert result.head_hash == chain[2].entry_hash
    assert result.problem.endswith(
        f"The ledger's {column} column is no longer generated by the database from each entry's payload."
    )


@pytest.mark.parametrize(
    "column", [field.column for field in LedgerEntry._meta.concrete_fields if not field.primary_key]
)
def test_editing_any_column_of_an_entry_is_refused_or_caught(chain, check, column):
    # (Only the primary key is left out: it is where the row lives, not part of what the ledger says.)
    field = LedgerEntry._meta.get_field(column)
    forged = {
        "sequence": 50,
        "payload": chain[2].payload.replace('"n":3', '"n":4'),
        "prev_hash": "ab" * 32,
        "entry_hash": "cd" * 32,
    }
    if field.generated:
        with pytest.raises(DatabaseError), transaction.atomic():
            tamper(f'UPDATE {TABLE} SET "{column}" = NULL WHERE sequence = 3')
        assert check().ok
        return

    tamper(f'UPDATE {TABLE} SET "{column}" = %s WHERE sequence = 3', [forged[column]])

    result = check()
    assert not result.ok
    assert result.first_bad_sequence == 3


def test_payload_columns_no_longer_generated_fail_the_check_even_while_they_agree(chain, check):
    make_writable("event", "subject_id", "report_id")

    result = check()

    assert (result.ok, result.count, result.head_hash) == (False, 5, chain[-1].entry_hash)
    assert result.first_bad_sequence is None
    assert result.problem == (
        "The ledger's event, subject_id and report_id columns are no longer generated by the database "
        "from each entry's payload: they still agree with every payload, but could now be changed on their "
        "own."
    )
    with pytest.raises(CommandError, match="no longer generated") as failure:
        call_command("verify_ledger", *command_args(check))
    assert failure.value.returncode == 1


def test_a_chain_break_is_reported_with_the_columns_no_longer_generated(chain, check):
    make_writable("actor_id")
    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 2", ["ab" * 32])

    result = assert_fails_at(check, 2, "does not link to the entry before it")
    assert result.problem.endswith(
        "The ledger's actor_id column is no longer generated by the database from each entry's payload."
    )


def test_when_the_schema_cannot_be_read_every_entrys_columns_are_compared(chain, check, monkeypatch):
    monkeypatch.setattr(schema, "payload_columns_generated", lambda: (False, None))
    compared = []
    disagreement = verify._payload_disagreement

    def spy(payload, sequence, columns):
        compared.append(sequence)
        return disagreement(payload, sequence, columns)

    monkeypatch.setattr(verify, "_payload_disagreement", spy)

    assert check(batch_size=2).ok
    assert compared == [1, 2, 3, 4, 5]


@pytest.mark.postgres
def test_a_postgresql_server_that_refuses_the_temporary_table_still_gets_a_full_check(
    on_postgres, chain, check, monkeypatch
):
    def refuse():
        raise DatabaseError("cannot execute CREATE TABLE in a read-only transaction")

    monkeypatch.setattr(schema, "_postgresql_generated", refuse)

    assert schema.payload_columns_generated() == (False, None)
    assert check().ok


def test_it_catches_a_removed_entry_in_the_middle(chain, check):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 3")

    assert_fails_at(check, 3, "Entry #3 is missing", f"entry #2 is followed by entry #4 (id {chain[3].pk})")


def test_it_catches_the_first_entries_removed(chain, check):
    tamper(f"DELETE FROM {TABLE} WHERE sequence <= 2")

    assert_fails_at(
        check, 1, "Entries #1 to #2 are missing", f"the ledger starts at entry #3 (id {chain[2].pk})"
    )


def test_it_catches_the_newest_entries_removed(chain, check):
    tamper(f"DELETE FROM {TABLE} WHERE sequence >= 4")

    assert_fails_at(check, 4, "Entries #4 to #5 are missing", "the ledger head records 5 entries")


def test_it_catches_every_entry_removed(chain, check):
    tamper(f"DELETE FROM {TABLE}")

    assert_fails_at(check, 1, "Entries #1 to #5 are missing", "but there are no entries")


def test_it_catches_a_head_that_does_not_match_the_last_entry(chain, check):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 5")
    LedgerHead.objects.filter(id=1).update(size=4)

    result = check()
    assert (result.ok, result.count, result.first_bad_sequence) == (False, 4, None)
    assert result.problem.startswith("The ledger head does not match entry #4")
    assert chain[4].entry_hash in result.problem
    with pytest.raises(CommandError, match="head does not match entry #4"):
        call_command("verify_ledger", *command_args(check))


def test_it_catches_two_entries_swapped_by_sequence_number(chain, check):
    # Three steps, because the sequence column is unique.
    tamper(f"UPDATE {TABLE} SET sequence = 1000 WHERE sequence = 2")
    tamper(f"UPDATE {TABLE} SET sequence = 2 WHERE sequence = 3")
    tamper(f"UPDATE {TABLE} SET sequence = 3 WHERE sequence = 1000")

    assert_fails_at(check, 2, f"Entry #2 (id {chain[2].pk})", "does not link to the entry before it")


def test_it_catches_two_entries_swapped_contents(chain, check):
    second, third = chain[1], chain[2]
    swap = f"UPDATE {TABLE} SET payload = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s"
    # entry_hash is unique, so the second row holds a placeholder while the third is written.
    tamper(swap, [third.payload, third.prev_hash, "f" * 64, 2])
    tamper(swap, [second.payload, second.prev_hash, second.entry_hash, 3])
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 2", [third.entry_hash])

    assert_fails_at(check, 2, f"Entry #2 (id {second.pk})", f"its prev_hash is {second.entry_hash}")


def test_it_catches_a_changed_prev_hash(chain, check):
    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 4", ["ab" * 32])

    assert_fails_at(check, 4, "its prev_hash is " + "ab" * 32, f"entry #3 has hash {chain[2].entry_hash}")


def test_it_catches_a_first_entry_that_does_not_start_at_the_genesis_hash(chain, check):
    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 1", ["ab" * 32])

    assert_fails_at(check, 1, "the first entry must point at the genesis hash")


def test_it_catches_an_entry_hash_in_capitals(chain, check):
    # The same digest, but not the hash the chain records and the next entry names.
    tamper(f"UPDATE {TABLE} SET entry_hash = upper(entry_hash) WHERE sequence = 3")

    assert_fails_at(check, 3, "altered", chain[2].entry_hash.upper())


def test_it_catches_an_entry_rewritten_with_a_fresh_hash_by_the_link_to_the_next(chain, check):
    forged = chain[2].payload.replace('"n":3', '"n":30')
    tamper(
        f"UPDATE {TABLE} SET payload = %s, entry_hash = %s WHERE sequence = 3",
        [forged, chain_hash(chain[1].entry_hash, forged)],
    )

    assert_fails_at(check, 4, "does not link to the entry before it")


def test_it_catches_an_entry_added_behind_the_head(chain, check):
    payload = canonical_json({"sequence": 6, "event": "test.forged"})
    tamper(
        f"INSERT INTO {TABLE} (sequence, payload, prev_hash, entry_hash) VALUES (6, %s, %s, %s)",
        [payload, chain[4].entry_hash, chain_hash(chain[4].entry_hash, payload)],
    )

    assert_fails_at(check, 6, "lies beyond the end of the ledger", "counts only 5 entries")


def test_it_catches_an_entry_slipped_in_before_the_first(chain, check):
    # Numbered 0, outside the chain: pages that list a report's entries would still show it.
    payload = canonical_json({"sequence": 0, "event": "report.verified", "report": 44})
    tamper(
        f"INSERT INTO {TABLE} (sequence, payload, prev_hash, entry_hash) VALUES (0, %s, %s, %s)",
        [payload, GENESIS_HASH, chain_hash(GENESIS_HASH, payload)],
    )

    result = check()
    assert (result.ok, result.first_bad_sequence, result.count) == (False, 0, 0)
    forged = LedgerEntry.objects.get(sequence=0)
    assert result.problem == f"Entry #0 (id {forged.pk}) is out of place: entry #1 should come next."


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite stores text that is not UTF-8")
@pytest.mark.parametrize("stored", ["CAST(%s AS TEXT)", "%s"], ids=["text", "blob"])
def test_a_payload_that_is_not_utf8_text_is_named_not_stumbled_on(chain, check, stored):
    # Latin-1, not UTF-8, inside a string: still JSON to SQLite, which fills the columns from it.
    forged = chain[2].payload.encode().replace("Überprüfung".encode(), "Überprüfung".encode("latin-1"))
    tamper(f"UPDATE {TABLE} SET payload = {stored} WHERE sequence = 3", [forged])

    result = assert_fails_at(check, 3, f"Entry #3 (id {chain[2].pk}): it has been altered")
    assert chain_hash(chain[1].entry_hash, forged) in result.problem


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite stores text that is not UTF-8")
def test_a_hash_that_is_not_utf8_text_is_named_not_stumbled_on(chain, check):
    tamper(f"UPDATE {TABLE} SET prev_hash = CAST(%s AS TEXT) WHERE sequence = 4", [b"\xff" * 64])

    assert_fails_at(check, 4, "does not link to the entry before it: its prev_hash is \ufffd")


def test_the_columns_come_from_the_top_level_of_the_payload_not_from_data_that_repeats_it(chain, check):
    organisation = chain[0].subject_id
    decoy = {
        "actor": 99,
        "event": "test.forged",
        "report": 99,
        "sequence": 6,
        "subject": {"id": "99", "type": "accounts.user"},
    }
    sixth = ledger_append(
        event='test.quote"and\\backslash',
        subject=("commitments.organisation", organisation),
        actor=None,
        data={"copy": decoy, "time": "x", **decoy},
    )

    stored = LedgerEntry.objects.get(pk=sixth.pk)
    assert (stored.event, stored.actor_id, stored.report_id) == ('test.quote"and\\backslash', None, None)
    assert (stored.subject_type, stored.subject_id) == ("commitments.organisation", organisation)
    assert check().ok


def test_a_nul_character_in_the_data_is_recorded_as_a_replacement_character(chain, check):
    entry = ledger_append(
        event="test.nul", subject=("commitments.organisation", "1"), actor=None, data={"t": "a\x00b"}
    )

    assert '"t":"a\ufffdb"' in entry.payload
    assert check().ok


@pytest.mark.parametrize(
    ("sql", "params", "sequence", "wording"),
    [
        # In the second stretch.
        (
            f"UPDATE {TABLE} SET payload = replace(payload, 'step4', 'step40') WHERE sequence = 4",
            [],
            4,
            "altered",
        ),
        # The first entry of the second stretch no longer names the last one of the first.
        (f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 3", ["ab" * 32], 3, "does not link"),
        (
            f"UPDATE {TABLE} SET prev_hash = 'not a hash' WHERE sequence = 3",
            [],
            3,
            "its prev_hash is not a hash",
        ),
        # Either side of the join missing.
        (f"DELETE FROM {TABLE} WHERE sequence = 2", [], 2, "entry #1 is followed by entry #3"),
        (f"DELETE FROM {TABLE} WHERE sequence = 3", [], 3, "entry #2 is followed by entry #4"),
        (f"DELETE FROM {TABLE} WHERE sequence = 5", [], 5, "Entry #5 is missing: the ledger head records"),
    ],
)
def test_a_tamper_at_the_join_of_two_stretches_reads_as_the_reference_words_it(
    chain, sql, params, sequence, wording
):
    tamper(sql, params)

    # Two stretches: entries 1-2 and 3-5.
    result = ledger_verify_fast(batch_size=2, workers=2, parallel_threshold=0)
    assert result == ledger_verify(batch_size=2)
    assert (result.ok, result.first_bad_sequence) == (False, sequence)
    assert wording in result.problem


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL holds hashes to 64 characters")
def test_hashes_shifted_across_the_boundary_between_entries_are_caught(chain, check):
    # Joined, the entry hashes read exactly as before: only their boundary has moved.
    third, fourth = chain[2].entry_hash, chain[3].entry_hash
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 3", [third[:-1]])
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 4", [third[-1] + fourth])

    assert_fails_at(check, 3, "altered", f"not to its recorded entry_hash {third[:-1]}")


@pytest.mark.parametrize("batch_size", [3, 1000])
def test_payloads_that_need_escaping_verify(awkward_chain, check, batch_size):
    result = check(batch_size=batch_size)

    assert (result.ok, result.count, result.head_hash) == (True, 8, awkward_chain[-1].entry_hash)


@pytest.mark.parametrize("batch_size", [3, 1000])
def test_a_column_edited_next_to_awkward_payloads_is_named(awkward_chain, check, batch_size):
    make_writable("subject_id")
    tamper(f"UPDATE {TABLE} SET subject_id = %s WHERE sequence = 8", ["999999"])

    result = check(batch_size=batch_size)

    assert (result.ok, result.first_bad_sequence, result.count) == (False, 8, 7)
    assert f"Entry #8 (id {awkward_chain[7].pk}): its subject_id column says '999999'" in result.problem


def test_memory_stays_flat_however_long_the_ledger(check):
    # 10,000 entries of about 1 KB: read all at once they would take over 10 MB.
    prev, rows = GENESIS_HASH, []
    for sequence in range(1, 10_001):
        payload = canonical_json({"sequence": sequence, "event": "test.long", "data": {"text": "x" * 1000}})
        rows.append((sequence, payload, prev, chain_hash(prev, payload)))
        prev = rows[-1][-1]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {TABLE} (sequence, payload, prev_hash, entry_hash) VALUES (%s, %s, %s, %s)", rows
        )
    LedgerHead.objects.create(id=1, size=10_000, head_hash=prev)

    tracemalloc.start()
    try:
        result = check(batch_size=100)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (result.ok, result.count) == (True, 10_000)
    assert peak < 2_000_000


def test_it_verifies_with_server_side_cursors_disabled_as_behind_a_connection_pooler(
    chain, check, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 4", ["ab" * 32])

    assert_fails_at(check, 4, "does not link to the entry before it")
