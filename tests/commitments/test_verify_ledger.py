"""ledger_verify and the verify_ledger command against someone who can write to the database.

Each tamper goes around the application with raw SQL, as a person with database access would.
"""

import gc
import re
from contextlib import contextmanager
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
    verify,
)
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TABLE = connection.ops.quote_name(LedgerEntry._meta.db_table)


@contextmanager
def triggers_disabled():
    """On PostgreSQL the append-only trigger refuses tampering; a superuser can switch it off."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


def tamper(sql, params=()):
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def make_writable(*columns):
    """Redefine payload columns as plain ones that keep their values, as someone could with DDL."""
    if connection.vendor == "postgresql":
        for column in columns:
            tamper(f'ALTER TABLE {TABLE} ALTER COLUMN "{column}" DROP EXPRESSION')
        return
    # SQLite cannot alter a column: rebuild the table from its own definition, minus the clauses.
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [LedgerEntry._meta.db_table])
        sql = cursor.fetchone()[0]
        for column in columns:
            sql = re.sub(rf'("{column}" [a-z0-9()]+) GENERATED ALWAYS AS \(.*?\) STORED', r"\1", sql)
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO ledger_before")
        cursor.execute(sql)
        kept = ", ".join(
            [f'"{f.column}"' for f in LedgerEntry._meta.concrete_fields if not f.generated]
            + [f'"{column}"' for column in columns]
        )
        cursor.execute(f"INSERT INTO {TABLE} ({kept}) SELECT {kept} FROM ledger_before")
        cursor.execute("DROP TABLE ledger_before")


@pytest.fixture
def chain():
    """Five entries about one organisation, every other one by a person, two for a report."""
    organisation = OrganisationFactory()
    person = UserFactory()
    return [
        ledger_append(
            event=f"test.step{n}",
            subject=organisation,
            actor=person if n % 2 else None,
            data={"n": n, "note": "Überprüfung ✓"},
            report_id=40 + n if n > 3 else None,
        )
        for n in range(1, 6)
    ]


def assert_fails_at(sequence, *phrases):
    result = ledger_verify(batch_size=2)
    assert not result.ok
    assert result.first_bad_sequence == sequence
    assert result.count == sequence - 1
    for phrase in phrases:
        assert phrase in result.problem

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger")
    assert failure.value.returncode == 1
    assert f"#{sequence}" in str(failure.value)
    return result


def test_an_intact_chain_verifies_and_the_command_prints_count_and_head(chain):
    result = ledger_verify(batch_size=2)

    assert result.ok
    assert (result.count, result.head_hash) == (5, chain[-1].entry_hash)
    assert result.first_bad_sequence is None
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().strip() == f"Ledger intact: 5 entries, head {chain[-1].entry_hash}"


def test_an_empty_ledger_is_intact():
    result = ledger_verify()

    assert (result.ok, result.count, result.head_hash) == (True, 0, GENESIS_HASH)
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "Ledger intact: 0 entries" in out.getvalue()


def test_it_catches_an_edited_payload(chain):
    tamper(
        f"UPDATE {TABLE} SET payload = %s WHERE sequence = 3",
        [chain[2].payload.replace('"n":3', '"n":30')],
    )

    assert_fails_at(3, f"Entry #3 (id {chain[2].pk})", "altered", chain[2].entry_hash)


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


@pytest.mark.parametrize("column", verify.PAYLOAD_COLUMNS)
def test_the_database_refuses_to_write_a_payload_column(chain, column):
    # Even with the append-only trigger switched off: the column is the database's to compute.
    with (
        pytest.raises(DatabaseError, match="generated column|can only be updated to DEFAULT"),
        transaction.atomic(),
    ):
        tamper(f'UPDATE {TABLE} SET "{column}" = %s WHERE sequence = 3', ["41" if "id" in column else "x"])

    assert ledger_verify().ok


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
def test_a_payload_column_made_writable_and_edited_is_named(chain, column, value, wording):
    make_writable(column)
    tamper(f'UPDATE {TABLE} SET "{column}" = %s WHERE sequence = 4', [value])

    wording = wording.format(organisation=chain[0].subject_id)
    result = assert_fails_at(4, f"Entry #4 (id {chain[3].pk}): {wording}.")
    assert result.head_hash == chain[2].entry_hash
    assert result.problem.endswith(
        f"The ledger's {column} column is no longer generated by the database from each entry's payload."
    )


@pytest.mark.parametrize(
    "column", [field.column for field in LedgerEntry._meta.concrete_fields if not field.primary_key]
)
def test_editing_any_column_of_an_entry_is_refused_or_caught(chain, column):
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
        assert ledger_verify().ok
        return

    tamper(f'UPDATE {TABLE} SET "{column}" = %s WHERE sequence = 3', [forged[column]])

    result = ledger_verify()
    assert not result.ok
    assert result.first_bad_sequence == 3


def test_payload_columns_no_longer_generated_fail_the_check_even_while_they_agree(chain):
    make_writable("event", "subject_id", "report_id")

    result = ledger_verify()

    assert (result.ok, result.count, result.head_hash) == (False, 5, chain[-1].entry_hash)
    assert result.first_bad_sequence is None
    assert result.problem == (
        "The ledger's event, subject_id and report_id columns are no longer generated by the database "
        "from each entry's payload: they still agree with every payload, but could now be changed on their "
        "own."
    )
    with pytest.raises(CommandError, match="no longer generated") as failure:
        call_command("verify_ledger")
    assert failure.value.returncode == 1


def test_a_chain_break_is_reported_with_the_columns_no_longer_generated(chain):
    make_writable("actor_id")
    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 2", ["ab" * 32])

    result = assert_fails_at(2, "does not link to the entry before it")
    assert result.problem.endswith(
        "The ledger's actor_id column is no longer generated by the database from each entry's payload."
    )


def test_when_the_schema_cannot_be_read_every_entrys_columns_are_compared(chain, monkeypatch):
    monkeypatch.setattr(verify, "_payload_columns_generated", lambda: (False, None))
    compared = []
    disagreement = verify._payload_disagreement

    def spy(payload, sequence, *columns):
        compared.append(sequence)
        return disagreement(payload, sequence, *columns)

    monkeypatch.setattr(verify, "_payload_disagreement", spy)

    assert ledger_verify(batch_size=2).ok
    assert compared == [1, 2, 3, 4, 5]


@pytest.mark.postgres
def test_a_postgresql_server_that_refuses_the_temporary_table_still_gets_a_full_check(
    on_postgres, chain, monkeypatch
):
    def refuse(table):
        raise DatabaseError("cannot execute CREATE TABLE in a read-only transaction")

    monkeypatch.setattr(verify, "_postgresql_generated", refuse)

    assert verify._payload_columns_generated() == (False, None)
    assert ledger_verify().ok


def test_it_catches_a_removed_entry_in_the_middle(chain):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 3")

    assert_fails_at(3, "Entry #3 is missing", f"entry #2 is followed by entry #4 (id {chain[3].pk})")


def test_it_catches_the_newest_entries_removed(chain):
    tamper(f"DELETE FROM {TABLE} WHERE sequence >= 4")

    assert_fails_at(4, "Entries #4 to #5 are missing", "the ledger head records 5 entries")


def test_it_catches_a_head_that_does_not_match_the_last_entry(chain):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 5")
    LedgerHead.objects.filter(id=1).update(size=4)

    result = ledger_verify()
    assert (result.ok, result.count, result.first_bad_sequence) == (False, 4, None)
    assert result.problem.startswith("The ledger head does not match entry #4")
    assert chain[4].entry_hash in result.problem
    with pytest.raises(CommandError, match="head does not match entry #4"):
        call_command("verify_ledger")


def test_it_catches_two_entries_swapped_by_sequence_number(chain):
    # Three steps, because the sequence column is unique.
    tamper(f"UPDATE {TABLE} SET sequence = 1000 WHERE sequence = 2")
    tamper(f"UPDATE {TABLE} SET sequence = 2 WHERE sequence = 3")
    tamper(f"UPDATE {TABLE} SET sequence = 3 WHERE sequence = 1000")

    assert_fails_at(2, f"Entry #2 (id {chain[2].pk})", "does not link to the entry before it")


def test_it_catches_two_entries_swapped_contents(chain):
    second, third = chain[1], chain[2]
    swap = f"UPDATE {TABLE} SET payload = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s"
    # entry_hash is unique, so the second row holds a placeholder while the third is written.
    tamper(swap, [third.payload, third.prev_hash, "f" * 64, 2])
    tamper(swap, [second.payload, second.prev_hash, second.entry_hash, 3])
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 2", [third.entry_hash])

    assert_fails_at(2, f"Entry #2 (id {second.pk})", f"its prev_hash is {second.entry_hash}")


def test_it_catches_a_changed_prev_hash(chain):
    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 4", ["ab" * 32])

    assert_fails_at(4, "its prev_hash is " + "ab" * 32, f"entry #3 has hash {chain[2].entry_hash}")


def test_it_catches_an_entry_rewritten_with_a_fresh_hash_by_the_link_to_the_next(chain):
    forged = chain[2].payload.replace('"n":3', '"n":30')
    tamper(
        f"UPDATE {TABLE} SET payload = %s, entry_hash = %s WHERE sequence = 3",
        [forged, chain_hash(chain[1].entry_hash, forged)],
    )

    assert_fails_at(4, "does not link to the entry before it")


def test_it_catches_an_entry_added_behind_the_head(chain):
    payload = canonical_json({"sequence": 6, "event": "test.forged"})
    tamper(
        f"INSERT INTO {TABLE} (sequence, payload, prev_hash, entry_hash) VALUES (6, %s, %s, %s)",
        [payload, chain[4].entry_hash, chain_hash(chain[4].entry_hash, payload)],
    )

    assert_fails_at(6, "lies beyond the end of the ledger", "counts only 5 entries")


def test_the_columns_come_from_the_top_level_of_the_payload_not_from_data_that_repeats_it(chain):
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
    assert ledger_verify().ok


def test_a_nul_character_in_the_data_is_recorded_as_a_replacement_character(chain):
    entry = ledger_append(
        event="test.nul", subject=("commitments.organisation", "1"), actor=None, data={"t": "a\x00b"}
    )

    assert '"t":"a\ufffdb"' in entry.payload
    assert ledger_verify().ok


def verify_in_parts():
    """Two stretches from the second entry on, joined as a long ledger's are (chain: 0-2 and 2-5)."""
    return ledger_verify(batch_size=2, workers=2, parallel_threshold=0)


def test_an_intact_chain_verifies_in_parts_too(chain):
    assert verify_in_parts() == ledger_verify(batch_size=2)
    assert verify_in_parts().ok


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
def test_a_tamper_found_in_parts_reads_as_a_single_pass_words_it(chain, sql, params, sequence, wording):
    tamper(sql, params)

    result = verify_in_parts()
    assert result == ledger_verify(batch_size=2)
    assert (result.ok, result.first_bad_sequence) == (False, sequence)
    assert wording in result.problem


@pytest.fixture
def flushable_ledger(transactional_db):
    """See tests/browser/conftest.py: lets the flush after this test empty the ledger on PostgreSQL."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


def test_forked_workers_check_a_committed_ledger_and_word_a_tamper_as_a_single_pass(flushable_ledger):
    # Outside a test transaction the stretches run in forked processes with their own connections
    # (PostgreSQL; SQLite's in-memory test database cannot be shared, so there they run here).
    organisation = OrganisationFactory()
    entries = [
        ledger_append(event=f"test.step{n}", subject=organisation, actor=None, data={"n": n})
        for n in range(1, 9)
    ]
    result = ledger_verify(batch_size=3, workers=2, parallel_threshold=0)
    assert (result.ok, result.count, result.head_hash) == (True, 8, entries[-1].entry_hash)

    tamper(f"UPDATE {TABLE} SET prev_hash = %s WHERE sequence = 5", ["cd" * 32])

    result = ledger_verify(batch_size=3, workers=2, parallel_threshold=0)
    assert result == ledger_verify(batch_size=3)
    assert (result.ok, result.first_bad_sequence, result.head_hash) == (False, 5, entries[3].entry_hash)
    assert f"Entry #5 (id {entries[4].pk}): it does not link" in result.problem


@pytest.mark.postgres
def test_forked_workers_leave_this_process_its_own_database_session(on_postgres, flushable_ledger):
    # The workers open their own connections and never close the one they inherit: closing it
    # would end this process's session, which goes on being used.
    organisation = OrganisationFactory()
    for n in range(1, 9):
        ledger_append(event=f"test.step{n}", subject=organisation, actor=None, data={"n": n})
    session = connection.connection.info.backend_pid

    for _ in range(3):
        assert ledger_verify(batch_size=3, workers=2, parallel_threshold=0).ok

    assert connection.connection.info.backend_pid == session
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [session])
        assert cursor.fetchone() == (1,)
    assert LedgerEntry.objects.count() == 8


# The batch check (verify._batch_intact) vouches for whole batches at once and leaves anything
# it cannot vouch for to the entry-by-entry check; these pin down both halves of that bargain.


def entry_by_entry_forbidden(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the batch check should have vouched for this batch")

    monkeypatch.setattr(verify, "_check_entries", refuse)


@pytest.mark.parametrize("batch_size", [2, 1000])
def test_the_batch_check_vouches_for_an_intact_chain_without_the_entry_by_entry_check(
    chain, monkeypatch, batch_size
):
    entry_by_entry_forbidden(monkeypatch)

    result = ledger_verify(batch_size=batch_size)

    assert (result.ok, result.count, result.head_hash) == (True, 5, chain[-1].entry_hash)


AWKWARD_TEXT = 'tab\there, new\nline, back\\slash, "quoted", 100% Überprüfung ✓ \u2028 \x01'


@pytest.fixture
def awkward_chain(chain):
    """The five entries, then three whose payloads JSON has to escape and whose columns are odd."""
    organisation = chain[0].subject_id
    return chain + [
        ledger_append(
            event="test.awkward",
            subject=("commitments.organisation", organisation),
            actor=None,
            data={"narrative": AWKWARD_TEXT, AWKWARD_TEXT: [AWKWARD_TEXT, {"time": AWKWARD_TEXT}]},
        ),
        # An event and a subject type that need escaping (and hold a %), a subject id with a quote.
        ledger_append(
            event='test.100%-"odd"\\event',
            subject=("commitments.odd\ttype", 'id"with\\quote'),
            actor=None,
            data={"n": 7},
            report_id=7,
        ),
        ledger_append(
            event="test.after",
            subject=("commitments.organisation", organisation),
            actor=None,
            data={"n": 8},
        ),
    ]


@pytest.mark.parametrize("batch_size", [3, 1000])
def test_payloads_that_need_escaping_verify(awkward_chain, batch_size):
    result = ledger_verify(batch_size=batch_size)

    assert (result.ok, result.count, result.head_hash) == (True, 8, awkward_chain[-1].entry_hash)


def test_the_batch_check_vouches_for_escaped_payloads_and_odd_columns(awkward_chain, monkeypatch):
    entry_by_entry_forbidden(monkeypatch)

    assert ledger_verify(batch_size=1).ok
    odd = LedgerEntry.objects.get(sequence=7)
    assert (odd.event, odd.subject_type, odd.subject_id, odd.report_id) == (
        'test.100%-"odd"\\event',
        "commitments.odd\ttype",
        'id"with\\quote',
        7,
    )


@pytest.mark.parametrize("batch_size", [3, 1000])
def test_a_column_edited_next_to_awkward_payloads_is_named(awkward_chain, batch_size):
    make_writable("subject_id")
    tamper(f"UPDATE {TABLE} SET subject_id = %s WHERE sequence = 8", ["999999"])

    result = ledger_verify(batch_size=batch_size)

    assert (result.ok, result.first_bad_sequence, result.count) == (False, 8, 7)
    assert f"Entry #8 (id {awkward_chain[7].pk}): its subject_id column says '999999'" in result.problem


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
    first, *rest = verify._entry_batches(100, 1000)
    assert (len(first), rest) == (5, [])

    assert verify._batch_intact(first, 1, GENESIS_HASH.encode(), bytes(32)) is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL holds hashes to 64 characters")
def test_hashes_shifted_across_the_boundary_between_entries_are_caught(chain):
    # Joined, the entry hashes read exactly as before: only their boundary has moved.
    third, fourth = chain[2].entry_hash, chain[3].entry_hash
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 3", [third[:-1]])
    tamper(f"UPDATE {TABLE} SET entry_hash = %s WHERE sequence = 4", [third[-1] + fourth])

    assert_fails_at(3, "altered", f"not to its recorded entry_hash {third[:-1]}")


def test_verifying_leaves_the_garbage_collector_as_it_was(chain):
    assert gc.isenabled()
    assert ledger_verify().ok
    assert gc.isenabled()

    gc.disable()
    try:
        assert ledger_verify().ok
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("head_size", "parts", "bounds"),
    [
        (5, 2, [0, 2, 5]),
        (40, 2, [0, 21, 40]),
        (100_000, 2, [0, 50_500, 100_000]),
        (100_000, 3, [0, 34_000, 67_000, 100_000]),
        (3, 3, [0, 1, 2, 3]),
        (40, 40, list(range(41))),
    ],
)
def test_the_first_stretch_leads_by_what_it_checks_while_workers_start(monkeypatch, head_size, parts, bounds):
    monkeypatch.setattr(verify, "FIRST_STRETCH_LEAD", {connection.vendor: 1000})

    assert verify._split(head_size, parts) == bounds
