"""Verifying the hash-chained ledger (behind `manage.py verify_ledger`).

Re-checks the whole chain for anyone who could have edited the database directly.
"""

import gc
import hashlib
import itertools
import json
import multiprocessing
from binascii import hexlify
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from json.encoder import encode_basestring
from operator import mod
from typing import Any

from django.db import connection, connections

from commitments.models import LedgerEntry, LedgerHead
from commitments.services.ledger.append import GENESIS_HASH


@dataclass(frozen=True)
class LedgerVerification:
    """What `ledger_verify` found.

    `count` and `head_hash` describe the entries that checked out before the first problem (all
    of them when `ok`). `first_bad_sequence` is the first entry that did not, or the first missing
    one; it is None when only the head row is wrong.
    """

    ok: bool
    count: int
    head_hash: str
    first_bad_sequence: int | None = None
    problem: str = ""


# Entries fetched per query. Small enough that a batch's rows stay in the CPU cache while
# they are hashed and compared (at 5,000 the same checks cost a quarter more), large enough
# that the queries themselves cost little.
BATCH_SIZE = 1000
# How many more entries the stretch this process checks has than each forked one: the workers
# start a few milliseconds later (forking, connecting), about what this process checks meanwhile.
# A PostgreSQL worker's connection also has to start a server backend, some 3 ms more here.
FIRST_STRETCH_LEAD = {"sqlite": 1000, "postgresql": 2500}
# Below this many entries a single pass is quick enough that forking would only add its cost.
PARALLEL_THRESHOLD = 20_000
# hashlib keeps the GIL for inputs under 2 KiB, so only processes can share the hashing; two
# is what the benchmark machine has, and each worker also keeps a database backend busy.
PARALLEL_WORKERS = 2

_VERIFY_SQL = (
    "SELECT sequence, payload, prev_hash, entry_hash, event, actor_id, subject_type, subject_id, report_id"
    " FROM {table} WHERE sequence > %s AND sequence <= %s ORDER BY sequence LIMIT %s"
)
_HEAD_SQL = "SELECT size, head_hash FROM {table} WHERE id = 1"
_BEYOND_SQL = "SELECT sequence, id FROM {table} WHERE sequence > %s ORDER BY sequence LIMIT 1"
_MISSING = object()
# In a forked child, the connections it inherited from the parent (see _verify_in_child).
_INHERITED: list[Any] = []


@dataclass(frozen=True)
class _Stretch:
    """What checking entries after+1 .. upto found, before the head is looked at.

    A stretch checked without knowing the hash before it takes its first entry's prev_hash on
    trust and reports it as `first_prev_hash`, for the caller to join it to the stretch before.
    """

    count: int
    head_hash: str
    first_prev_hash: str | None = None
    failure: LedgerVerification | None = None


def ledger_verify(
    *,
    batch_size: int = BATCH_SIZE,
    workers: int = PARALLEL_WORKERS,
    parallel_threshold: int = PARALLEL_THRESHOLD,
) -> LedgerVerification:
    """Walk the chain in sequence order and stop at the first entry that does not check out.

    Each entry must follow the previous one without a gap, name its hash as prev_hash, hash to
    its own entry_hash, and agree with its payload on sequence, event, actor, subject and report.
    Then the head row must describe the last entry, so that dropping the newest entries shows.

    A ledger longer than `parallel_threshold` is split into `workers` contiguous stretches
    checked side by side in forked processes (one after another where forking is not safe, in a
    transaction or on an in-memory SQLite database); any doubt about a stretch, or about how it
    joins the one before, is settled by checking again from its start in sequence, so a failure
    reads exactly as a single pass would word it.
    """
    head = _ledger_head()
    head_size, recorded_head_hash = head or (0, GENESIS_HASH)

    # Looked for now, though reported only if the chain and the head check out: past this point
    # a query would have to copy the pages it touches, which this process shares with its workers.
    beyond = _entry_beyond_head(head_size)

    # What the check allocates (rows of bytes and numbers) holds no reference cycles, so the
    # cyclic collector has nothing to find in it; left on, it walks the whole heap now and
    # then, which in forked workers also copies every page it touches.
    collecting = gc.isenabled()
    gc.disable()
    children: list[Any] = []
    try:
        parts = min(workers, head_size) if head_size > parallel_threshold else 1
        if parts > 1:
            stretch = _verify_in_parts(_split(head_size, parts), batch_size, children)
        else:
            stretch = _verify_stretch(0, head_size, GENESIS_HASH, batch_size)
        if stretch.failure is not None:
            return stretch.failure

        count, last_hash = stretch.count, stretch.head_hash
        if count != head_size or last_hash != recorded_head_hash:
            return _head_mismatch(count, last_hash, head_size, recorded_head_hash)
        if beyond is not None:
            sequence, problem = beyond
            return LedgerVerification(
                ok=False, count=count, head_hash=last_hash, first_bad_sequence=sequence, problem=problem
            )
        return LedgerVerification(ok=True, count=count, head_hash=last_hash)
    finally:
        if collecting:
            gc.enable()
        # Each worker has sent its result by now, but its exit (unmapping its copy of this
        # process) takes milliseconds nobody needs to wait for: one that has not finished is
        # reaped by multiprocessing when it next starts a process, or at exit.
        for child in children:
            child.join(timeout=0)


def _split(head_size: int, parts: int) -> list[int]:
    """Bounds of `parts` stretches, the first (checked here) longer than each of the others by
    what it gets through while their processes start. The lead is at most a twentieth of the
    ledger, so that a short one splits evenly, and leaves each other stretch an entry.
    """
    lead = min(FIRST_STRETCH_LEAD.get(connection.vendor, 0), head_size // 20)
    first = min((head_size + lead * (parts - 1)) // parts, head_size - (parts - 1))
    rest = head_size - first
    return [0] + [first + rest * part // (parts - 1) for part in range(parts)]


def _verify_in_parts(bounds: list[int], batch_size: int, children: list[Any]) -> _Stretch:
    ranges = list(itertools.pairwise(bounds))
    if _can_fork():
        stretches = _verify_in_forked_workers(ranges, batch_size, children)
    else:
        stretches = [_verify_stretch(after, upto, None, batch_size) for after, upto in ranges]
    last_hash = GENESIS_HASH
    for (after, upto), stretch in zip(ranges, stretches, strict=True):
        if (
            stretch is None
            or stretch.failure is not None
            or stretch.count != upto
            or stretch.first_prev_hash != last_hash
        ):
            return _verify_stretch(after, bounds[-1], last_hash, batch_size)
        last_hash = stretch.head_hash
    return _Stretch(count=bounds[-1], head_hash=last_hash)


def _can_fork() -> bool:
    # A child cannot see what this connection has not committed.
    if any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        return False
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _verify_in_forked_workers(
    ranges: list[tuple[int, int]], batch_size: int, children: list[Any]
) -> list[_Stretch | None]:
    """The first stretch here, each other one in a forked child; None for a child that died.

    The children are added to `children`, for the caller to reap once it has what it needs.
    """
    context = multiprocessing.get_context("fork")
    readers = []
    for after, upto in ranges[1:]:
        reader, writer = context.Pipe(duplex=False)
        child = context.Process(target=_verify_in_child, args=(writer, after, upto, batch_size), daemon=True)
        child.start()
        writer.close()
        children.append(child)
        readers.append(reader)
    stretches: list[_Stretch | None] = [_verify_stretch(*ranges[0], None, batch_size)]
    for reader in readers:
        try:
            stretches.append(reader.recv())
        except EOFError:
            stretches.append(None)
        finally:
            reader.close()
    return stretches


def _verify_in_child(writer: Any, after: int, upto: int, batch_size: int) -> None:
    # The parent goes on using the connections this process inherited, idle as they are outside
    # a transaction: this one leaves them alone and opens its own. They are kept referenced,
    # never closed from here: closing a PostgreSQL connection would end the parent's session,
    # and closing an SQLite file would drop this process's locks on it. (Closing them in the
    # parent before forking instead costs it a reconnection for every check.)
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None
    try:
        writer.send(_verify_stretch(after, upto, None, batch_size))
    finally:
        writer.close()
        connections.close_all()


def _verify_stretch(after: int, upto: int, last_hash: str | None, batch_size: int) -> _Stretch:
    """Check entries after+1 .. upto in sequence order, stopping at the first that does not check out.

    With last_hash None the first entry's prev_hash is taken as the link into the stretch.
    """
    columns = _ColumnTexts()
    expected = after + 1
    first_prev_hash = None
    link = None if last_hash is None else last_hash.encode()
    last_digest = b"" if last_hash is None else bytes.fromhex(last_hash)

    for rows in _entry_batches(upto, batch_size, after=after):
        if link is None:
            link = rows[0][2]
            first_prev_hash = link.decode("utf-8", "replace")
            try:
                last_digest = bytes.fromhex(first_prev_hash)
            except ValueError:
                last_digest = b""
            if len(last_digest) != 32:
                # Not a hash at all: the caller checks this stretch again from the one before.
                return _Stretch(count=after, head_hash="", first_prev_hash=first_prev_hash)
        digest = _batch_intact(rows, expected, link, last_digest, columns)
        if digest is None:
            # Something in this batch is off, or not in a form the batch check can vouch for:
            # entry by entry, which finds and words the first problem.
            outcome = _check_entries(rows, expected, link, last_digest, columns)
            if isinstance(outcome, LedgerVerification):
                return _Stretch(outcome.count, outcome.head_hash, first_prev_hash, outcome)
            digest = outcome
        expected += len(rows)
        link = rows[-1][3]
        last_digest = digest

    return _Stretch(expected - 1, last_hash if link is None else link.decode(), first_prev_hash)


def _batch_intact(
    rows: list[tuple[Any, ...]], expected: int, link: bytes, last_digest: bytes, columns: "_ColumnTexts"
) -> bytes | None:
    """The last entry's digest when every entry of the batch checks out, else None.

    The same checks as _check_entries, made for the whole batch at once: after the hashing,
    which must run entry by entry as each hash feeds the next, every comparison is one call
    over the batch or a map() of a C function over its columns, with no Python code per entry.
    None says only "not vouched for": _check_entries then settles it entry by entry.
    """
    sequences, payloads, prev_hashes, entry_hashes, events, actor_ids, subject_types, subject_ids, reports = (
        zip(*rows, strict=True)
    )
    if sequences != tuple(range(expected, expected + len(rows))):
        return None
    # Copying a fresh hash object is cheaper than making one: the rest is sha256(digest + payload).
    fresh = hashlib.sha256().copy
    digests: list[bytes] = []
    keep = digests.append
    digest = last_digest
    for payload in payloads:
        hasher = fresh()
        hasher.update(digest)
        hasher.update(payload)
        digest = hasher.digest()
        keep(digest)
    try:
        # Each hash in hex, comma-separated. Equal joins mean equal entries: the expected
        # side holds no comma but the separators, so neither can a stored value.
        hexes = hexlify(b"".join(digests), b",", 32)
        if (
            b",".join(entry_hashes) != hexes
            or prev_hashes[0] != link
            or b",".join(prev_hashes[1:]) != hexes[:-65]
        ):
            return None
        # Subject ids go into the payload text as they are, so they must need no escaping.
        ids = b"".join(subject_ids)
        if b"\\" in ids or b'"' in ids:
            return None
        # startswith(None) and None % (...) raise TypeError: a column the texts cannot spell.
        prefixes = map(columns.prefixes.__getitem__, actor_ids)
        if not all(map(bytes.startswith, payloads, prefixes)):
            return None
        templates = map(columns.suffixes.__getitem__, zip(events, reports, subject_types, strict=True))
        suffixes = map(mod, templates, zip(sequences, subject_ids, strict=True))
        time_quotes = map(bytes.rfind, payloads, repeat(b'"'), repeat(0), repeat(-2))
        if not all(map(bytes.endswith, payloads, suffixes, repeat(0), time_quotes)):
            return None
    except TypeError:
        return None
    return digest


def _check_entries(
    rows: list[tuple[Any, ...]], expected: int, link: bytes, last_digest: bytes, columns: "_ColumnTexts"
) -> bytes | LedgerVerification:
    """Check a batch entry by entry: the last digest when all check out, else the first failure."""
    # The loop runs once per entry, so it avoids model instances, attribute look-ups, str
    # decoding and json.loads (which alone costs several times the hashing): every text column
    # arrives as bytes, and two byte-string comparisons pin the columns to the payload (see
    # _ColumnTexts). Whatever they do not vouch for gets the full comparison.
    sha256 = hashlib.sha256
    prefixes, suffixes = columns.prefixes, columns.suffixes
    for (
        sequence,
        payload,
        prev_hash,
        entry_hash,
        event,
        actor_id,
        subject_type,
        subject_id,
        report_id,
    ) in rows:
        digest = sha256(last_digest + payload).digest()
        if sequence != expected or prev_hash != link or hexlify(digest) != entry_hash:
            return _chain_break(sequence, expected, prev_hash, entry_hash, digest, link)

        prefix = prefixes[actor_id]
        suffix = suffixes[event, report_id, subject_type]
        if not (
            prefix is not None
            and suffix is not None
            and payload.startswith(prefix)
            and payload.endswith(suffix % (sequence, subject_id), 0, payload.rfind(b'"', 0, -2))
            and b"\\" not in subject_id
            and b'"' not in subject_id
        ):
            problem = _payload_disagreement(
                payload,
                sequence,
                _text(event),
                actor_id,
                _text(subject_type),
                _text(subject_id),
                report_id,
            )
            if problem is not None:
                return _bad_entry(sequence, _entry_id(sequence), problem, link.decode())

        link = entry_hash
        last_digest = digest
        expected += 1
    return last_digest


def _chain_break(
    sequence: int, expected: int, prev_hash: bytes, entry_hash: bytes, digest: bytes, link: bytes
) -> LedgerVerification:
    last_hash = link.decode()
    if sequence != expected:
        return _gap(expected, sequence, _entry_id(sequence), last_hash)
    if prev_hash != link:
        return _bad_entry(
            sequence, _entry_id(sequence), _unlinked(sequence, _text(prev_hash), last_hash), last_hash
        )
    problem = (
        f"it has been altered: its payload hashes to {digest.hex()}, "
        f"not to its recorded entry_hash {_text(entry_hash)}"
    )
    return _bad_entry(sequence, _entry_id(sequence), problem, last_hash)


class _ColumnTexts:
    """How a payload written by ledger_append spells an entry's columns, as bytes to compare.

    `prefixes[actor_id]` is how the payload starts; `suffixes[event, report_id, subject_type]`
    is its top-level members from "event" to the "time" key, with %d for the sequence and %b
    for the subject id (which is put in quotes as it is: entries whose id would need escaping
    go the long way). The time is the last value and holds no quote, so the last quote before
    the closing '"}' opens it, and what comes before that quote must end with the suffix: that
    pins the suffix to the top level however the data nests. (Should there be no such quote,
    the suffix could not fit either: its own quotes would have to lie in the quote-free part.)

    Both are worked out once per distinct value and kept; None for values these bytes cannot
    stand for exactly, whose entries are then compared the long way. They prove agreement but
    can miss it, e.g. for an older payload layout, which is why a miss is never a failure.
    """

    def __init__(self) -> None:
        self.prefixes = _Cache(_prefix)
        self.suffixes = _Cache(lambda key: _suffix_template(*key))


class _Cache(dict):
    def __init__(self, make: Callable[[Any], bytes | None]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> bytes | None:
        value = self[key] = self.make(key)
        return value


def _prefix(actor_id: Any) -> bytes | None:
    if actor_id is None:
        return b'{"actor":null,"actor_email":'
    if type(actor_id) is int:
        return b'{"actor":%d,"actor_email":' % actor_id
    return None


def _suffix_template(event: Any, report_id: Any, subject_type: Any) -> bytes | None:
    if report_id is not None and type(report_id) is not int:
        return None
    try:
        event_json = encode_basestring(event.decode())
        type_json = encode_basestring(subject_type.decode())
    except (AttributeError, UnicodeDecodeError):
        return None
    report_json = "null" if report_id is None else str(report_id)
    # Any % in the values is doubled, leaving only the two placeholders.
    event_json, type_json = event_json.replace("%", "%%"), type_json.replace("%", "%%")
    return (
        f',"event":{event_json},"report":{report_json},"sequence":%d,'
        f'"subject":{{"id":"%b","type":{type_json}}},"time":'
    ).encode()


def _entry_batches(head_size: int, batch_size: int, *, after: int = 0) -> Iterator[list[tuple[Any, ...]]]:
    """Entries after+1 to head_size in sequence order, one query per batch, text columns as bytes.

    Entries past the head are left to _entry_beyond_head, so that an append committing
    meanwhile does not look like tampering. Paging on the sequence, rather than a server-side
    cursor, reads about a third faster on PostgreSQL and holds nothing open between batches.
    The rows come through the driver's own cursor: Django's wrapper costs about as much per row
    as the hashing.
    """
    sql = _VERIFY_SQL.format(table=connection.ops.quote_name(LedgerEntry._meta.db_table))
    fetch = _batch_reader(sql)
    while True:
        rows = fetch([after, head_size, batch_size])
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


def _batch_reader(sql: str) -> Callable[[list[int]], list[tuple[Any, ...]]]:
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        cursor = raw.cursor()
        sql = sql.replace("%s", "?")

        def fetch(params: list[int]) -> list[tuple[Any, ...]]:
            # Only for this query: the same connection serves Django, which expects str.
            text_factory, raw.text_factory = raw.text_factory, bytes
            try:
                return cursor.execute(sql, params).fetchall()
            finally:
                raw.text_factory = text_factory

        return fetch
    if connection.vendor == "postgresql":
        import psycopg
        from psycopg.types.string import ByteaBinaryLoader

        # Binary results, which Django's client-side cursor cannot ask for, hand text over
        # as its UTF-8 bytes without decoding. The query, the same for every batch, is
        # prepared from the first one on.
        cursor = psycopg.Cursor(raw)
        for text_type in ("text", "varchar"):
            cursor.adapters.register_loader(text_type, ByteaBinaryLoader)

        def fetch(params: list[int]) -> list[tuple[Any, ...]]:
            cursor.execute(sql, params, prepare=True, binary=True)
            return cursor.fetchall()

        return fetch

    def fetch(params: list[int]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [
                tuple(value.encode() if isinstance(value, str) else value for value in row)
                for row in cursor.fetchall()
            ]

    return fetch


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _entry_id(sequence: int) -> int | None:
    return LedgerEntry.objects.filter(sequence=sequence).values_list("id", flat=True).first()


def _payload_disagreement(
    payload: bytes,
    sequence: int,
    event: str,
    actor_id: int | None,
    subject_type: str,
    subject_id: str,
    report_id: int | None,
) -> str | None:
    """Compare the payload with the row's columns the plain way; None when they agree.

    ledger_verify's text checks hold only for payloads laid out as ledger_append writes them
    (sorted keys, "actor" first, "time" last); they prove agreement but can miss it, e.g. for
    an older payload layout, so every entry they do not vouch for gets this full comparison.
    """
    try:
        data = json.loads(payload)
    except ValueError:
        return "its payload is not valid JSON"
    if not isinstance(data, dict):
        return "its payload is not a JSON object"
    subject = data.get("subject")
    if not isinstance(subject, dict):
        subject = {}
    for column, column_value, key, payload_value in (
        ("sequence", sequence, "sequence", data.get("sequence", _MISSING)),
        ("event", event, "event", data.get("event", _MISSING)),
        ("actor_id", actor_id, "actor", data.get("actor", _MISSING)),
        ("subject_type", subject_type, "subject type", subject.get("type", _MISSING)),
        ("subject_id", subject_id, "subject id", subject.get("id", _MISSING)),
        ("report_id", report_id, "report", data.get("report", _MISSING)),
    ):
        if payload_value is _MISSING:
            return f"its payload has no {key}"
        # type() too, so that a payload's 1 and a column's "1" (or True) do not pass as equal.
        if payload_value != column_value or type(payload_value) is not type(column_value):
            return f"its {column} column says {column_value!r}, but its payload says {payload_value!r}"
    return None


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
        missing = (
            f"Entry #{expected} is missing"
            if sequence == expected + 1
            else f"Entries #{expected} to #{sequence - 1} are missing"
        )
        before = f"entry #{expected - 1} is followed by" if expected > 1 else "the ledger starts at"
        problem = f"{missing}: {before} entry #{sequence} (id {entry_id})."
        first_bad = expected
    return LedgerVerification(
        ok=False, count=expected - 1, head_hash=last_hash, first_bad_sequence=first_bad, problem=problem
    )


def _head_mismatch(count: int, last_hash: str, head_size: int, head_hash: str) -> LedgerVerification:
    if count < head_size:
        missing = (
            f"Entry #{head_size} is missing"
            if count + 1 == head_size
            else f"Entries #{count + 1} to #{head_size} are missing"
        )
        last = f"the last entry is #{count}" if count else "there are no entries"
        problem = f"{missing}: the ledger head records {head_size} entries ending in {head_hash}, but {last}."
        return LedgerVerification(
            ok=False, count=count, head_hash=last_hash, first_bad_sequence=count + 1, problem=problem
        )
    last = f"entry #{count}'s hash is {last_hash}" if count else "there are no entries yet"
    problem = f"The ledger head does not match entry #{count}: it records hash {head_hash}, but {last}."
    return LedgerVerification(ok=False, count=count, head_hash=last_hash, problem=problem)


def _ledger_head() -> tuple[int, str] | None:
    """The head row's size and hash. (Plain SQL here and below: the ORM takes a millisecond or two
    over each of these, a few percent of checking 100,000 entries.)"""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL.format(table=connection.ops.quote_name(LedgerHead._meta.db_table)))
        return cursor.fetchone()


def _entry_beyond_head(head_size: int) -> tuple[int, str] | None:
    """The first entry the head does not count, and what is wrong with it; None if there is none."""
    with connection.cursor() as cursor:
        cursor.execute(
            _BEYOND_SQL.format(table=connection.ops.quote_name(LedgerEntry._meta.db_table)), [head_size]
        )
        beyond = cursor.fetchone()
    if beyond is None:
        return None
    # An append may have committed since the head was read: only an entry the head still does
    # not count is wrong.
    size_now = (_ledger_head() or (None,))[0]
    if size_now is not None and size_now >= beyond[0]:
        return None
    head = (
        "there is no ledger head" if size_now is None else f"the ledger head counts only {size_now} entries"
    )
    return beyond[0], f"Entry #{beyond[0]} (id {beyond[1]}) lies beyond the end of the ledger: {head}."
