#!/usr/bin/env python
"""Speed of the ledger checks against plain chained SHA-256 over the same payload bytes.

Fills a throwaway database with a valid hash chain (a deterministic mix of the payloads the
services write: item edits with narratives, evidence, verdicts, comments, transitions), then
times in one fresh process, as `manage.py verify_ledger` runs, best of --repeat interleaved
rounds:

- baseline: sha256(prev_digest + payload) over the payload bytes, read from the database once
  and held in memory (the chain they hash to must be the ledger's head hash);
- read only: the fast check's query fetched row by row, nothing checked;
- reference: ledger_verify(), the reference check (verify.py), one entry after another;
- fast, one process: ledger_verify_fast() kept to this process, no worker forked;
- ledger_verify_fast(): what `manage.py verify_ledger` runs (links, hashes, that the payload
  columns are still generated, head), with its default forked worker.

The target is verify_ledger at no less than half the baseline's speed (baseline / verify >= 0.5).
The one-process time is all the work the fast check does, the database's included, so half of
it is what two processes could reach on two otherwise idle cores: the page states that ceiling
too, and the ratio of each round with the load average, for the spread.
SQLite always runs, in a temporary directory; with --database-url the same runs on that
PostgreSQL server too, in a database the script creates and drops (pp_bench_ledger_<pid>).
Each database runs in its own child process because Django reads DATABASE_URL once at start,
and the timing in a further one: the process that inserted 100,000 rows is left with a heap
full of freed memory that makes every pass there slower (the baseline by a fifth, the
verifier's forked workers more, copying those pages on write) and that no real run has.
Prints the figures and rewrites its own section of docs/benchmarks.md.

    .venv/bin/python bench/bench_ledger.py [--entries 100000] [--repeat 7]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--no-write]

Why ~510 lines: most of it is the text this script writes into docs/benchmarks.md, kept
beside the measurement it describes.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _docs import machine_text, rewrite_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:ledger:start -->", "<!-- bench:ledger:end -->"
TARGET_RATIO = 0.5
# How much the ratio moves between runs on an idle machine (best of five rounds each).
RUN_TO_RUN = 0.03
BATCH = 5000
# Some non-ASCII on purpose: real narratives have it, and it changes what text handling costs.
_VOCABULARY = """
    age assurance classifier hash matching review escalation NCMEC report grooming detection
    safety by design red team evaluation Überprüfung abgeschlossen ✓ policy training data
    filtering CSAM removal provenance watermark reporting latency hours
"""
WORDS = _VOCABULARY.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; the best of each measure counts")
    parser.add_argument("--database-url", help="also measure on this PostgreSQL server")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--timer", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(_worker(args.worker, args.entries, args.repeat)))
        return 0
    if args.timer:
        _setup_django(args.timer)
        print(json.dumps(_measure(args.entries, args.repeat)))
        return 0

    results = []
    work = Path(tempfile.mkdtemp(prefix="pledgeproof-bench-ledger-"))
    try:
        urls = [f"sqlite:///{work / 'bench.sqlite3'}"]
        if args.database_url:
            urls.append(args.database_url)
        for url in urls:
            results.append(_in_child(url, args.entries, args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    section = _section(results, args)
    print(section)
    if not args.no_write:
        _rewrite_docs(section)
        print(f"Updated {DOCS.relative_to(ROOT)}")
    return 0 if all(r["ratio"] >= TARGET_RATIO for r in results) else 1


def _in_child(url: str, entries: int, repeat: int, role: str = "--worker") -> dict:
    command = [sys.executable, __file__, role, url, "--entries", str(entries), "--repeat", str(repeat)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # DEBUG=0 refuses a weak key
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()


def _worker(url: str, entries: int, repeat: int) -> dict:
    """Fill a throwaway database, then time it in a fresh process."""
    _setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    throwaway = None
    if connection.vendor == "postgresql":
        # Never touch what is in the given database: work in a fresh one and drop it after.
        original_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = f"pp_bench_ledger_{os.getpid()}"
        throwaway = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        url = urlunsplit(urlsplit(url)._replace(path=f"/{throwaway}"))
    else:
        call_command("migrate", verbosity=0, interactive=False)
    try:
        _fill(entries)
        connection.close()
        return _in_child(url, entries, repeat, role="--timer")
    finally:
        if throwaway is not None:
            connection.creation.destroy_test_db(original_name, verbosity=0)


def _measure(entries: int, repeat: int) -> dict:
    from django.db import connection

    from commitments.services.ledger import ledger_verify, ledger_verify_fast

    payloads = _payloads()
    load_before = os.getloadavg()[0]
    # Interleaved rounds, so that whatever else the machine is doing weighs on all alike.
    baseline, read_only, reference, one_process, verify = [], [], [], [], []
    for _ in range(repeat):
        # After a round's forked worker has exited, this process's pages are still marked
        # copy-on-write and the first write to each (a reference count going up) faults, some
        # 15 ms over the payloads: taken here, untimed, so that every baseline is hashing alone.
        for _payload in payloads:
            pass
        baseline.append(_timed(lambda: _chain_hash_in_memory(payloads))[0])
        read_only.append(_timed(_read_only)[0])
        for times, check in [
            (reference, ledger_verify),
            (one_process, lambda: ledger_verify_fast(parallel_threshold=sys.maxsize)),
            (verify, ledger_verify_fast),
        ]:
            seconds, result = _timed(check)
            assert result.ok and result.count == entries, result
            times.append(seconds)

    payload_bytes = sum(map(len, payloads))
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        server = cursor.fetchone()[0]
    return {
        "vendor": connection.vendor,
        "server": server.split(" on ")[0] if connection.vendor == "postgresql" else f"SQLite {server}",
        "entries": entries,
        "payload_bytes": payload_bytes,
        "hashed_bytes": payload_bytes + 32 * entries,
        "baseline": min(baseline),
        "read_only": min(read_only),
        "reference": min(reference),
        "one_process": min(one_process),
        "verify": min(verify),
        "ratio": min(baseline) / min(verify),
        "round_ratios": [b / v for b, v in zip(baseline, verify, strict=True)],
        "load": (load_before, os.getloadavg()[0]),
        # Two workers on two idle cores at best halve the one-process time.
        "ceiling": 2 * min(baseline) / min(one_process),
    }


def _payloads() -> list[bytes]:
    """The ledger's payloads as bytes, in order, checked to hash to its head."""
    from django.db import connection

    from commitments.models import LedgerEntry, LedgerHead

    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    # As UTF-8 bytes straight from the database: decoding to str and encoding back would leave
    # the heap riddled with freed strings, which slows every later pass in this process (the
    # forked verifier's most, as it copies each page it writes).
    utf8 = "convert_to(payload, 'UTF8')" if connection.vendor == "postgresql" else "CAST(payload AS BLOB)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {utf8} FROM {table} ORDER BY sequence")
        payloads = [bytes(payload) for (payload,) in cursor.fetchall()]
    head_hash = LedgerHead.objects.get(id=1).head_hash
    assert _chain_hash_in_memory(payloads).hex() == head_hash, "the payloads do not hash to the head"
    return payloads


def _fill(entries: int) -> None:
    """Insert a valid chain."""
    from django.db import connection

    from commitments.models import LedgerEntry, LedgerHead
    from commitments.services.ledger import GENESIS_HASH, canonical_json, chain_hash

    rng = random.Random(2026)
    started_at = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    prev = GENESIS_HASH
    batch: list[LedgerEntry] = []
    for sequence in range(1, entries + 1):
        now = started_at + datetime.timedelta(seconds=sequence * 37, microseconds=rng.randrange(1, 999_999))
        actor = rng.randrange(1, 60)
        report = sequence // 400 + 1
        event, subject_type, subject_id, data = _event(rng, sequence, report)
        payload = canonical_json(
            {
                "sequence": sequence,
                "time": now.isoformat(),
                "event": event,
                "actor": actor,
                "actor_email": f"person{actor}@lab{actor % 7}.example",
                "subject": {"type": subject_type, "id": subject_id},
                "report": report,
                "data": data,
            }
        )
        entry_hash = chain_hash(prev, payload)
        batch.append(
            LedgerEntry(
                sequence=sequence,
                payload=payload,
                prev_hash=prev,
                entry_hash=entry_hash,
            )
        )
        prev = entry_hash
        if len(batch) == BATCH:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)
    LedgerHead.objects.update_or_create(id=1, defaults={"size": entries, "head_hash": prev})
    # Planner statistics, as autovacuum would gather on a live table: without them PostgreSQL
    # may scan and sort the whole table for each batch instead of walking the sequence index.
    # On PostgreSQL a vacuum too, as autovacuum gives a live table's rows: so that the timed
    # rounds neither write the hint bits on their first reads nor meet autovacuum starting.
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM ANALYZE' if connection.vendor == 'postgresql' else 'ANALYZE'} {table}")


def _event(rng: random.Random, sequence: int, report: int) -> tuple[str, str, str, dict]:
    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(low, high))).capitalize() + "."

    node = f"sbd.{rng.choice(['develop', 'deploy', 'maintain'])}.{rng.randrange(1, 5)}.m{rng.randrange(1, 4)}"
    item = str(report * 40 + rng.randrange(40))
    roll = rng.random()
    if roll < 0.5:
        changes = {
            "status": rng.choice(["planned", "in_progress", "implemented"]),
            "narrative": text(30, 120),
        }
        return (
            "item.updated",
            "commitments.itemresponse",
            item,
            {
                "node": node,
                "version": rng.randrange(2, 30),
                "changes": changes,
                "metrics": {
                    "reports_to_ncmec": {"value": str(rng.randrange(10_000)), "data_source": text(4, 10)}
                },
            },
        )
    if roll < 0.7:
        return (
            "evidence.added",
            "commitments.evidence",
            str(sequence),
            {
                "node": node,
                "title": text(3, 8),
                "sha256": hashlib.sha256(str(sequence).encode()).hexdigest(),
                "size": rng.randrange(10_000, 5_000_000),
                "media_type": "application/pdf",
                "visibility": rng.choice(["public", "restricted"]),
            },
        )
    if roll < 0.85:
        return (
            "item.verdict_recorded",
            "commitments.itemverdict",
            str(sequence),
            {
                "node": node,
                "verdict": rng.choice(["verified", "partially_verified", "needs_information"]),
                "justification": text(10, 40),
                "revision": rng.randrange(1, 4),
            },
        )
    if roll < 0.95:
        return "comment.added", "commitments.comment", str(sequence), {"node": node, "body": text(5, 30)}
    return (
        "report.submitted",
        "commitments.progressreport",
        str(report),
        {
            "from": "draft",
            "to": "submitted",
            "revision": rng.randrange(1, 4),
        },
    )


def _chain_hash_in_memory(payloads: list[bytes]) -> bytes:
    sha256 = hashlib.sha256
    prev = bytes(32)
    for payload in payloads:
        prev = sha256(prev + payload).digest()
    return prev


def _read_only() -> None:
    from commitments.services.ledger.verify import BATCH_SIZE
    from commitments.services.ledger.verify_fast import entry_batches

    for rows in entry_batches(sys.maxsize, BATCH_SIZE):
        for _row in rows:
            pass


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    value = run()
    return time.perf_counter() - started, value


def _section(results: list[dict], args: argparse.Namespace) -> str:
    today = datetime.date.today().isoformat()
    machine = machine_text()
    first = results[0]
    rows, spreads, costs = [], [], []
    for r in results:
        per = 1e6 / r["entries"]
        rows.append(
            f"| {r['server']} | {r['baseline']:.3f} s ({r['baseline'] * per:.1f} µs) "
            f"| {r['read_only']:.3f} s ({r['read_only'] * per:.1f} µs) "
            f"| {r['reference']:.3f} s ({r['reference'] * per:.1f} µs) "
            f"| {r['one_process']:.3f} s ({r['one_process'] * per:.1f} µs) "
            f"| {r['verify']:.3f} s ({r['verify'] * per:.1f} µs) "
            f"| **{r['ratio']:.2f}** {'met' if r['ratio'] >= TARGET_RATIO else 'missed'} "
            f"| {r['ceiling']:.2f} |"
        )
        name = r["server"].split(" (")[0]
        spreads.append(
            f"{name} {', '.join(f'{ratio:.2f}' for ratio in r['round_ratios'])} (1-minute load average"
            f" {r['load'][0]:.2f} before its rounds, {r['load'][1]:.2f} after)"
        )
        costs.append(
            f"{name} {r['baseline'] * per:.1f} µs of hashing, {r['read_only'] * per:.1f} µs of reading and"
            f" {(r['one_process'] - r['baseline'] - r['read_only']) * per:.1f} µs of the rest"
        )
    command = ".venv/bin/python bench/bench_ledger.py"
    if args.database_url:
        command += f" --database-url {args.database_url}"
    return "\n".join(
        [
            START,
            "## Ledger verification speed",
            "",
            f"The ledger checks over {first['entries']:,} valid entries in a throwaway database, against",
            "plain chained SHA-256 (`sha256(prev_digest + payload).digest()`) over the same payload bytes",
            f"held in memory, in the same process; best of {args.repeat} interleaved rounds. Payloads are a",
            f"mix of the services' events, {first['payload_bytes'] / first['entries']:.0f} bytes on average "
            "with some non-ASCII text;",
            f"{first['hashed_bytes'] / 1e6:.1f} MB hashed per pass (payloads plus 32-byte links).",
            f"Target: baseline / `verify_ledger` at least {TARGET_RATIO}. Whole pass, per entry in brackets.",
            "Times move with whatever else the machine runs; the interleaved rounds keep the ratio",
            "steadier. The rounds run in a fresh process, as `manage.py verify_ledger` does, with the",
            "payloads read from the database as bytes; the rows are inserted by another process beforehand.",
            "",
            "| database | baseline SHA-256 | read only | reference check | fast check, one process "
            "| `verify_ledger` (fast check) | ratio | two-core ceiling |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "*Reference check* is `ledger_verify()` (`commitments/services/ledger/verify.py`, what",
            "`verify_ledger --reference` runs): one entry after another, as an auditor reads it.",
            "*Fast check* is `ledger_verify_fast()` (`verify_fast.py`), what `verify_ledger` runs by",
            "default; *one process* keeps it from forking its worker. *Read only* is the fast check's",
            "batched query in one process, every row fetched and nothing checked. The one-process time",
            "is all the work of a check, the database server's included, so two processes on two idle",
            "cores can at best halve it; *two-core ceiling* is the ratio that would give (2 × baseline /",
            "one process), before the cost of forking.",
            "Ratio per round: " + "; ".join(spreads) + ".",
            _verdict(results),
            "",
            'How the checks work. The reference check defines what "the ledger verifies" means: it reads',
            "every entry once, in sequence order, in one transaction through a server-side cursor",
            "(PostgreSQL) a chunk at a time, and checks each rule once: numbering without gaps, each",
            "prev_hash naming the entry before, each entry_hash recomputed with `chain_hash` (the",
            "function that appends), the head row, nothing beyond the head; and, once, that the",
            "database still generates the five columns",
            "that repeat payload fields (event, actor, subject type and id, report; migration 0005) with",
            "the model's expressions (SQLite: the table's CREATE statement; PostgreSQL: `pg_get_expr`",
            "against a temporary table defined from the model and rolled back). While it does, a payload",
            "that hashes right vouches for them and they are not read; should it no longer, every entry's",
            "columns are compared with its parsed payload and the check fails. The first problem found",
            "is the verdict, naming the entry.",
            "",
            'The fast check only vouches: it says "intact" by itself once everything the reference checks',
            "holds in bulk, and on anything else (a batch it cannot vouch for, columns no longer",
            "generated, a worker that failed) it returns the reference check's verdict, so every failure",
            "is found and worded by the reference alone; the tests run every tamper case, and random",
            "tampering (Hypothesis), through both. Above 20,000 entries, outside a transaction and not on",
            "an in-memory SQLite database, it splits the sequence range in two: this process closes its",
            "database connection, forks one worker, which opens and closes its own, and checks the first",
            "half on a new connection of its own while the worker checks the second (hashlib holds the",
            "GIL for inputs under 2 KiB, so threads would not help); the halves are joined by the second",
            "half's first prev_hash. Each reads its half in batches of 1,000 through the driver's own",
            "cursor, every text column as bytes (SQLite `text_factory=bytes`; PostgreSQL a prepared,",
            "binary-format psycopg query loading text as bytes). A batch is checked at once: the hashing",
            "runs entry by entry, as each hash feeds the next, on copies of one fresh SHA-256 object; the",
            "hashes and links are then compared as joined strings against the hex of the computed",
            "digests, with no Python code per entry.",
            "",
            "Where the time goes, per entry, in one process: " + "; ".join(costs) + " (the fast check's",
            "comparisons, opening the connections and, on PostgreSQL, the database server's share of the",
            "two cores). The reference check is several times slower than the fast one: it reads through",
            "Django's cursor and checks each entry in Python, which is what makes it readable.",
            f"Run to run, on an idle machine, the ratio moves by about {RUN_TO_RUN}. With another job",
            "keeping a core busy, the worker has no core of its own and the ratio falls towards the",
            "one-process figure (0.37 to 0.49 measured here while other test suites ran): the target",
            "holds on two idle cores.",
            "Tried and dropped (per entry): the previous fast path, whose worker inherited this",
            "process's open connection (set aside, never used: a worker that uses it corrupts this",
            "process's session) and which carried its own entry-by-entry check to word failures: about",
            "5% faster than this one on the same machine and day (0.80 on SQLite, 0.72 on PostgreSQL),",
            "not worth a second copy of every check; giving the first half a lead of 500 to 4,000",
            "entries for the worker's start, and pausing the cyclic garbage collector during the check",
            "(neither measurably faster, within the run-to-run spread); reading",
            "the five columns and comparing them with each payload through byte templates (1.3 µs more",
            "per entry); on PostgreSQL, fetching the next batch in a thread while this one is checked",
            "(one process a quarter faster, two no faster: the two cores are already busy), and three or",
            "four workers (more processes than cores); batches of 2,000 (no better) or 5,000 (the checks",
            "leave the CPU cache); PostgreSQL `COPY ... TO STDOUT` (the server sends each row as its own",
            "message: 4.1 µs of CPU in all against 2.8 for the batched binary query); comparing the",
            "columns in SQL through the JSON functions (SQLite `json_extract` 1.5 µs more, a PostgreSQL",
            "`payload::jsonb` cast 3.5 µs more); aggregating a batch into strings or arrays in SQL",
            "(`group_concat`, `string_agg`, `array_agg`: 0.9 to 1.7 µs more in the server than they save",
            "in Python); a worker started fresh (spawn) instead of forked: importing psycopg alone takes",
            "about 0.35 s here, twice the whole check.",
            "",
            f"Measured {today} on {machine}.",
            f"Reproduce: `{command}` (`--no-write` leaves this page alone).",
            END,
        ]
    )


def _verdict(results: list[dict]) -> str:
    missed, narrow = [], []
    for r in results:
        name = r["server"].split(" (")[0]
        if r["ratio"] >= TARGET_RATIO + RUN_TO_RUN:
            continue
        if r["ratio"] >= TARGET_RATIO:
            narrow.append(name)
            continue
        short = (
            "short even with no cost for running the worker"
            if r["ceiling"] < TARGET_RATIO
            else "short by what running the worker costs"
        )
        missed.append(f"{name} (two-core ceiling {r['ceiling']:.2f}, {short})")
    lines = []
    if missed:
        lines.append("**The target is missed** on " + " and ".join(missed) + ".")
    if narrow:
        lines.append(
            "The target is met only narrowly on " + " and ".join(narrow) + f": the ratio moves by about"
            f" {RUN_TO_RUN} from run to run, so other runs fall just short."
        )
    return "\n".join(lines) or "The target is met."


def _rewrite_docs(section: str) -> None:
    rewrite_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
