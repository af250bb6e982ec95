"""The reference check of the hash-chained ledger: what "the ledger verifies" means.

Written for an auditor to read from top to bottom. It reads the entries once, in sequence
order, a chunk at a time (memory stays flat however long the ledger), and stops at the first
entry that does not check out, naming it. The rules, each checked in one place:

1. The database still generates every entry's event, actor, subject and report columns from
   its payload, as the model defines them (PayloadMember in commitments/models/ledger.py;
   schema.py reads the database's own definitions), so a payload that hashes right vouches for
   them. If it no longer does, each entry's columns are compared with its payload, and the
   check fails even when all agree: they could now be changed on their own.
2. The entries are numbered 1, 2, 3, ... with none missing.
3. Each entry's prev_hash is the entry_hash of the entry before it (GENESIS_HASH for the first).
4. Each entry's entry_hash is SHA-256 of the previous hash's 32 bytes followed by the payload's
   bytes as stored (chain_hash, the same function that appends).
5. The ledger head records the last entry: how many entries there are and the last one's hash,
   so that removing the newest entries shows.
6. No entry lies beyond the head.

`manage.py verify_ledger --reference` runs this check. verify_fast.py reaches the same verdict
sooner on a long ledger; whenever it finds anything off, the verdict it returns is this one's.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction

from commitments.models import LedgerEntry, LedgerHead
from commitments.services.ledger import schema
from commitments.services.ledger.append import GENESIS_HASH, chain_hash

# Entries read from the database at a time. (verify_fast.py reads batches of this size too: at
# 5,000 its batch checks leave the CPU cache and cost a quarter more.)
BATCH_SIZE = 1000

_ENTRIES_SQL = "SELECT sequence, id, {columns} FROM {table} WHERE sequence <= %s ORDER BY sequence"


@dataclass(frozen=True)
class LedgerVerification:
    """What a check found.

    `count` and `head_hash` describe the entries that checked out before the first problem (all
    of them when `ok`). `first_bad_sequence` is the first entry that did not, or the first missing
    one; it is None when only the head row or the schema is wrong.
    """

    ok: bool
    count: int
    head_hash: str
    first_bad_sequence: int | None = None
    problem: str = ""


def ledger_verify(*, batch_size: int = BATCH_SIZE) -> LedgerVerification:
    """Check the whole ledger against rules 1 to 6; the first problem found is the verdict."""
    head_size, head_hash = ledger_head()
    generated, schema_problem = schema.payload_columns_generated()
    result = _check_entries(head_size, head_hash, compare_columns=not generated, batch_size=batch_size)
    if schema_problem is None:
        return result
    if result.ok:
        return replace(
            result,
            ok=False,
            problem=f"{schema_problem}: they still agree with every payload, but could now be changed "
            "on their own.",
        )
    return replace(result, problem=f"{result.problem} {schema_problem}.")


def _check_entries(
    head_size: int, head_hash: str, *, compare_columns: bool, batch_size: int
) -> LedgerVerification:
    count, last_hash = 0, GENESIS_HASH
    for sequence, entry_id, payload, prev_hash, entry_hash, *columns in _entries(
        head_size, compare_columns, batch_size
    ):
        if sequence != count + 1:  # rule 2
            return _gap(count + 1, sequence, entry_id, last_hash)
        prev_hash, entry_hash = _text(prev_hash), _text(entry_hash)
        problem = None
        if prev_hash != last_hash:  # rule 3
            problem = _unlinked(sequence, prev_hash, last_hash)
        elif (computed := chain_hash(last_hash, payload)) != entry_hash:  # rule 4
            problem = (
                f"it has been altered: its payload hashes to {computed}, "
                f"not to its recorded entry_hash {entry_hash}"
            )
        elif compare_columns:  # rule 1, when the database no longer vouches for the columns
            problem = _payload_disagreement(payload, sequence, [_text(value) for value in columns])
        if problem is not None:
            return _bad_entry(sequence, entry_id, problem, last_hash)
        count, last_hash = sequence, entry_hash

    if count != head_size or last_hash != head_hash:  # rule 5
        return _head_mismatch(count, last_hash, head_size, head_hash)
    beyond = entry_beyond_head(head_size)  # rule 6
    if beyond is not None:
        sequence, problem = beyond
        return LedgerVerification(
            ok=False, count=count, head_hash=last_hash, first_bad_sequence=sequence, problem=problem
        )
    return LedgerVerification(ok=True, count=count, head_hash=last_hash)


def _entries(head_size: int, with_columns: bool, batch_size: int) -> Iterator[tuple[Any, ...]]:
    """Every entry up to the head's size, in sequence order: sequence, id, payload, prev_hash,
    entry_hash and, `with_columns`, the payload columns.

    A server-side cursor on PostgreSQL (unless the settings disable them, as a transaction-mode
    connection pooler needs); SQLite hands rows over as it steps through them. Entries past the
    head's size are left to rule 6, so that an append committing meanwhile is not taken for
    tampering; there is no lower bound, so that an entry numbered 0 is not overlooked.
    """
    text_columns = ["payload", "prev_hash", "entry_hash", *(schema.PAYLOAD_COLUMNS if with_columns else ())]
    sql = _ENTRIES_SQL.format(
        columns=", ".join(map(_as_stored, text_columns)),
        table=connection.ops.quote_name(LedgerEntry._meta.db_table),
    )
    streaming = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    # In a transaction, so that PostgreSQL hands the rows over as it reads them: a cursor that
    # outlives its transaction has them all copied aside first.
    with transaction.atomic(), connection.chunked_cursor() if streaming else connection.cursor() as cursor:
        cursor.execute(sql, [head_size])
        while rows := cursor.fetchmany(batch_size):
            yield from rows


def _as_stored(column: str) -> str:
    """SQL reading a column as stored. SQLite keeps whatever bytes it is given as text, and its
    driver refuses to decode text that is not UTF-8: such text is read as its bytes, so that the
    check names the entry instead of stopping at it. (PostgreSQL accepts only valid UTF-8.)"""
    name = connection.ops.quote_name(column)
    if connection.vendor == "sqlite":
        return f"CASE typeof({name}) WHEN 'text' THEN CAST({name} AS BLOB) ELSE {name} END"
    return name


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


_MISSING = object()


def _payload_disagreement(payload: str | bytes, sequence: int, columns: list[Any]) -> str | None:
    """How the row's sequence and payload columns disagree with its payload; None when they agree."""
    try:
        data = json.loads(payload)
    except ValueError:
        return "its payload is not valid JSON"
    if not isinstance(data, dict):
        return "its payload is not a JSON object"
    pairs = [("sequence", ("sequence",), sequence)]
    pairs += [
        (column, LedgerEntry._meta.get_field(column).expression.path, value)
        for column, value in zip(schema.PAYLOAD_COLUMNS, columns, strict=True)
    ]
    for column, path, column_value in pairs:
        payload_value: Any = data
        for key in path:
            payload_value = payload_value.get(key, _MISSING) if isinstance(payload_value, dict) else _MISSING
        if payload_value is _MISSING:
            return f"its payload has no {' '.join(path)}"
        # type() too, so that a payload's 1 and a column's "1" (or True) do not pass as equal.
        if payload_value != column_value or type(payload_value) is not type(column_value):
            return f"its {column} column says {column_value!r}, but its payload says {payload_value!r}"
    return None


def ledger_head() -> tuple[int, str]:
    """The head row's size and hash; an empty ledger has no head row yet."""
    return LedgerHead.objects.filter(id=1).values_list("size", "head_hash").first() or (0, GENESIS_HASH)


def entry_beyond_head(head_size: int) -> tuple[int, str] | None:
    """The first entry the head does not count, and what is wrong with it; None if there is none."""
    beyond = (
        LedgerEntry.objects.filter(sequence__gt=head_size).order_by("sequence").values_list("sequence", "id")
    ).first()
    if beyond is None:
        return None
    # An append may have committed since the head was read: only an entry the head still does
    # not count is wrong.
    size_now = LedgerHead.objects.filter(id=1).values_list("size", flat=True).first()
    if size_now is not None and size_now >= beyond[0]:
        return None
    head = (
        "there is no ledger head" if size_now is None else f"the ledger head counts only {size_now} entries"
    )
    return beyond[0], f"Entry #{beyond[0]} (id {beyond[1]}) lies beyond the end of the ledger: {head}."


# The verdicts, worded.


def _unlinked(sequence: int, prev_hash: str, last_hash: str) -> str:
    should = (
        f"entry #{sequence - 1} has hash {last_hash}"
        if sequence > 1
        else f"the first entry must point at the genesis hash {GENESIS_HASH}"
    )
    return f"it does not link to the entry before it: its prev_hash is {prev_hash}, but {should}"


def _bad_entry(sequence: int, entry_id: int, problem: str, last_hash: str) -> LedgerVerification:
    return LedgerVerification(
        ok=False,
        count=sequence - 1,
        head_hash=last_hash,
        first_bad_sequence=sequence,
        problem=f"Entry #{sequence} (id {entry_id}): {problem}.",
    )


def _gap(expected: int, sequence: int, entry_id: int, last_hash: str) -> LedgerVerification:
    if sequence < expected:
        problem = f"Entry #{sequence} (id {entry_id}) is out of place: entry #{expected} should come next."
        first_bad = sequence
    else:
        missing = _missing(expected, sequence - 1)
        before = f"entry #{expected - 1} is followed by" if expected > 1 else "the ledger starts at"
        problem = f"{missing}: {before} entry #{sequence} (id {entry_id})."
        first_bad = expected
    return LedgerVerification(
        ok=False, count=expected - 1, head_hash=last_hash, first_bad_sequence=first_bad, problem=problem
    )


def _missing(first: int, last: int) -> str:
    return f"Entry #{first} is missing" if first == last else f"Entries #{first} to #{last} are missing"


def _head_mismatch(count: int, last_hash: str, head_size: int, head_hash: str) -> LedgerVerification:
    if count < head_size:
        missing = _missing(count + 1, head_size)
        last = f"the last entry is #{count}" if count else "there are no entries"
        problem = f"{missing}: the ledger head records {head_size} entries ending in {head_hash}, but {last}."
        return LedgerVerification(
            ok=False, count=count, head_hash=last_hash, first_bad_sequence=count + 1, problem=problem
        )
    last = f"entry #{count}'s hash is {last_hash}" if count else "there are no entries yet"
    problem = f"The ledger head does not match entry #{count}: it records hash {head_hash}, but {last}."
    return LedgerVerification(ok=False, count=count, head_hash=last_hash, problem=problem)
