"""The reference check's verdict (verify.py), sooner on a long ledger.

`manage.py verify_ledger` runs this by default; docs/benchmarks.md has the figures. It can only
vouch: it answers "intact" by itself only once it has checked in bulk what the reference
checks (rules 1 to 6 there), and on anything else (a batch it cannot vouch for, a schema that
no longer generates the payload columns, a worker that failed) it returns the reference's
verdict, so every problem is found and worded by the reference alone. The tests run every
tamper case through both.

What makes it faster than the reference:
- each batch of rows comes through the driver's own cursor, text as bytes, never decoded;
- a batch is vouched for at once: the hashing runs entry by entry, as each hash feeds the
  next, and the stored hashes and links are then compared as joined strings, with no Python
  code per entry;
- a long ledger is split into stretches checked side by side, here and in a forked worker
  (hashlib holds the GIL for inputs under 2 KiB, so threads would not help). No process uses a
  connection another opened: this one closes its own before forking, and each worker opens
  and closes its own.
"""

import hashlib
import itertools
import multiprocessing
from binascii import hexlify
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, connections

from commitments.models import LedgerEntry
from commitments.services.ledger import schema
from commitments.services.ledger import verify as reference
from commitments.services.ledger.append import GENESIS_HASH
from commitments.services.ledger.verify import BATCH_SIZE, LedgerVerification

# Below this many entries one pass is quick enough that forking would only add its cost.
PARALLEL_THRESHOLD = 20_000
# Two: the benchmark machine has two cores, and each worker also keeps a database backend busy.
PARALLEL_WORKERS = 2

_BATCH_SQL = (
    "SELECT sequence, payload, prev_hash, entry_hash FROM {table}"
    " WHERE sequence > %s AND sequence <= %s ORDER BY sequence LIMIT %s"
)


def ledger_verify_fast(
    *,
    batch_size: int = BATCH_SIZE,
    workers: int = PARALLEL_WORKERS,
    parallel_threshold: int = PARALLEL_THRESHOLD,
) -> LedgerVerification:
    """What ledger_verify(batch_size=batch_size) finds, sooner when the ledger is intact."""
    head_size, head_hash = reference.ledger_head()
    generated, _problem = schema.payload_columns_generated()
    if (
        head_size
        and generated
        and _entries_intact(head_size, head_hash, batch_size, workers, parallel_threshold)
        and reference.entry_beyond_head(head_size) is None
    ):
        return LedgerVerification(ok=True, count=head_size, head_hash=head_hash)
    return reference.ledger_verify(batch_size=batch_size)


def _entries_intact(
    head_size: int, head_hash: str, batch_size: int, workers: int, parallel_threshold: int
) -> bool:
    """Whether entries 1 to head_size all check out, the last one's hash being the head's."""
    parts = min(workers, head_size) if head_size > parallel_threshold else 1
    bounds = [head_size * part // parts for part in range(parts + 1)]
    stretches = _check_stretches(list(itertools.pairwise(bounds)), batch_size)
    # Each stretch took its first prev_hash on trust: it must be the hash the one before ends in.
    link = GENESIS_HASH.encode()
    for stretch in stretches:
        if stretch is None or stretch[0] != link:
            return False
        link = stretch[1]
    return link == head_hash.encode()


def _check_stretches(ranges: list[tuple[int, int]], batch_size: int) -> list[tuple[bytes, bytes] | None]:
    """Each stretch's result: the first here, each other one in a forked worker (None for a
    worker that failed); where forking is not safe, one after another here."""
    if len(ranges) == 1 or not _can_fork():
        return [_check_stretch(after, upto, batch_size) for after, upto in ranges]
    # Closed before forking, so that no worker inherits it: one that used or closed it would
    # corrupt or end this process's session. Django opens a new one when this process next
    # queries.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    workers = []
    for after, upto in ranges[1:]:
        reader, writer = context.Pipe(duplex=False)
        worker = context.Process(target=_check_in_worker, args=(writer, after, upto, batch_size), daemon=True)
        worker.start()
        writer.close()
        workers.append((worker, reader))
    stretches = [_check_stretch(*ranges[0], batch_size)]
    for worker, reader in workers:
        try:
            stretches.append(reader.recv())
        except EOFError:
            stretches.append(None)
        finally:
            reader.close()
        # It has sent its result; its exit takes milliseconds nobody needs to wait for:
        # multiprocessing reaps it when it next starts a process, or at exit.
        worker.join(timeout=0)
    return stretches


def _can_fork() -> bool:
    # A worker cannot see what this connection has not committed; an in-memory SQLite database
    # is this process's alone; a pool would keep connections open across the fork.
    if connection.in_atomic_block or connection.settings_dict["OPTIONS"].get("pool"):
        return False
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _check_in_worker(writer: Any, after: int, upto: int, batch_size: int) -> None:
    # In the forked process, which holds no connection: Django opens its own on the first query.
    try:
        writer.send(_check_stretch(after, upto, batch_size))
    except Exception:
        # Not vouched for: the parent hands the whole check to the reference, which reports
        # whatever went wrong here too.
        writer.send(None)
    finally:
        writer.close()
        connections.close_all()


def _check_stretch(after: int, upto: int, batch_size: int) -> tuple[bytes, bytes] | None:
    """Entries after+1 to upto, all there and each hashing right and naming the one before as
    prev_hash: then the first one's prev_hash and the last one's entry_hash, else None."""
    expected, first_link, link, digest = after + 1, None, None, b""
    # The first stretch reads from -1, so that an entry numbered 0 is seen, and not vouched for.
    for rows in entry_batches(upto, batch_size, after=after or -1):
        if link is None:
            first_link = link = rows[0][2]
            try:
                digest = bytes.fromhex(link.decode("ascii"))
            except ValueError:
                return None
        digest = _batch_intact(rows, expected, link, digest)
        if digest is None:
            return None
        expected += len(rows)
        link = rows[-1][3]
    if first_link is None or link is None or expected != upto + 1:
        return None
    return first_link, link


def _batch_intact(
    rows: list[tuple[Any, ...]], expected: int, link: bytes, last_digest: bytes
) -> bytes | None:
    """The last entry's digest when every entry of the batch checks out, else None.

    Numbered from `expected` on; the first one's prev_hash is `link`, whose digest is
    `last_digest`; each entry_hash is the hex of sha256(previous digest + payload), and each
    later prev_hash the entry_hash before it. After the hashing, which must run entry by entry
    as each hash feeds the next, each comparison is one call over the whole batch.
    """
    sequences, payloads, prev_hashes, entry_hashes = zip(*rows, strict=True)
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
    # Each hash in hex, comma-separated. Equal joins mean equal entries: the computed side holds
    # no comma but the separators, so neither can a stored value.
    hexes = hexlify(b"".join(digests), b",", 32)
    if b",".join(entry_hashes) != hexes or prev_hashes[0] != link:
        return None
    if b",".join(prev_hashes[1:]) != hexes[:-65]:
        return None
    return digest


def entry_batches(upto: int, batch_size: int, *, after: int = 0) -> Iterator[list[tuple[Any, ...]]]:
    """Rows (sequence, payload, prev_hash, entry_hash) of the entries after+1 to upto in sequence
    order, one query per batch, text as its UTF-8 bytes.

    Paging on the sequence, rather than a server-side cursor, reads about a third faster on
    PostgreSQL and holds nothing open between batches. The rows come through the driver's own
    cursor: Django's wrapper costs about as much per row as the hashing.
    """
    fetch = _batch_reader(_BATCH_SQL.format(table=connection.ops.quote_name(LedgerEntry._meta.db_table)))
    while True:
        rows = fetch([after, upto, batch_size])
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
    # Other databases have no generated payload columns (rule 1), so the fast path never gets here.
    raise NotImplementedError(connection.vendor)
