#!/usr/bin/env python
"""Speed of `ledger_verify` against plain chained SHA-256 over the same payload bytes.

Fills a throwaway database with a valid hash chain (a deterministic mix of the payloads the
services write: item edits with narratives, evidence, verdicts, comments, transitions), then
times in one process, best of --repeat interleaved rounds:

- baseline: sha256(prev_digest + payload) over the payload bytes already in memory;
- read only: the verifier's query fetched row by row, nothing checked;
- ledger_verify(): the real check (links, hashes, columns against payloads, head).

The target is verify at no less than half the baseline's speed (baseline / verify >= 0.5).
SQLite always runs, in a temporary directory; with --database-url the same runs on that
PostgreSQL server too, in a database the script creates and drops (pp_bench_ledger_<pid>).
Each database runs in its own child process because Django reads DATABASE_URL once at start.
Prints the figures and rewrites its own section of docs/benchmarks.md.

    .venv/bin/python bench/bench_ledger.py [--entries 100000] [--repeat 5]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _docs import machine_text, rewrite_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:ledger:start -->", "<!-- bench:ledger:end -->"
TARGET_RATIO = 0.5
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
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds; the best of each measure counts")
    parser.add_argument("--database-url", help="also measure on this PostgreSQL server")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(_worker(args.worker, args.entries, args.repeat)))
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


def _in_child(url: str, entries: int, repeat: int) -> dict:
    command = [sys.executable, __file__, "--worker", url, "--entries", str(entries), "--repeat", str(repeat)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(url: str, entries: int, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ["LOG_LEVEL"] = "WARNING"

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    throwaway = None
    if connection.vendor == "postgresql":
        # Never touch what is in the given database: work in a fresh one and drop it after.
        original_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = f"pp_bench_ledger_{os.getpid()}"
        throwaway = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0, interactive=False)
    try:
        return _measure(entries, repeat)
    finally:
        if throwaway is not None:
            connection.creation.destroy_test_db(original_name, verbosity=0)


def _measure(entries: int, repeat: int) -> dict:
    from django.db import connection

    from commitments.services.ledger import ledger_verify

    payloads = _fill(entries)
    # Interleaved rounds, so that whatever else the machine is doing weighs on all three alike.
    baseline, read_only, verify = [], [], []
    for _ in range(repeat):
        baseline.append(_timed(lambda: _chain_hash_in_memory(payloads))[0])
        read_only.append(_timed(_read_only)[0])
        seconds, result = _timed(lambda: ledger_verify(batch_size=BATCH))
        assert result.ok and result.count == entries, result
        verify.append(seconds)

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
        "verify": min(verify),
        "ratio": min(baseline) / min(verify),
    }


def _fill(entries: int) -> list[bytes]:
    """Insert a valid chain and return its payloads as bytes, in order."""
    from django.db import connection

    from commitments.models import LedgerEntry, LedgerHead
    from commitments.services.ledger import GENESIS_HASH, canonical_json, chain_hash

    rng = random.Random(2026)
    started_at = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    prev = GENESIS_HASH
    batch: list[LedgerEntry] = []
    payloads: list[bytes] = []
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
                created_at=now,
                event=event,
                actor_id=actor,
                subject_type=subject_type,
                subject_id=subject_id,
                report_id=report,
                payload=payload,
                prev_hash=prev,
                entry_hash=entry_hash,
            )
        )
        payloads.append(payload.encode())
        prev = entry_hash
        if len(batch) == BATCH:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)
    LedgerHead.objects.update_or_create(id=1, defaults={"size": entries, "head_hash": prev})
    # Planner statistics, as autovacuum would gather on a live table: without them PostgreSQL
    # may scan and sort the whole table for each batch instead of walking the sequence index.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(LedgerEntry._meta.db_table)}")
    return payloads


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
    from commitments.services.ledger.verify import _entry_batches

    for rows in _entry_batches(sys.maxsize, BATCH):
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
    rows = []
    for r in results:
        per = 1e6 / r["entries"]
        rest = r["verify"] - r["read_only"] - r["baseline"]
        rows.append(
            f"| {r['server']} | {r['baseline']:.3f} s ({r['baseline'] * per:.1f} µs) "
            f"| {r['read_only']:.3f} s ({r['read_only'] * per:.1f} µs) "
            f"| {rest:.3f} s ({rest * per:.1f} µs) "
            f"| {r['verify']:.3f} s ({r['verify'] * per:.1f} µs) "
            f"| **{r['ratio']:.2f}** {'met' if r['ratio'] >= TARGET_RATIO else 'missed'} |"
        )
    command = ".venv/bin/python bench/bench_ledger.py"
    if args.database_url:
        command += f" --database-url {args.database_url}"
    return "\n".join(
        [
            START,
            "## Ledger verification speed",
            "",
            f"`ledger_verify()` over {first['entries']:,} valid entries in a throwaway database, against",
            "plain chained SHA-256 (`sha256(prev_digest + payload).digest()`) over the same payload bytes",
            f"held in memory, in the same process; best of {args.repeat} interleaved rounds. Payloads are a",
            f"mix of the services' events, {first['payload_bytes'] / first['entries']:.0f} bytes on average "
            "with some non-ASCII text;",
            f"{first['hashed_bytes'] / 1e6:.1f} MB hashed per pass (payloads plus 32-byte links).",
            f"Target: baseline / verify at least {TARGET_RATIO}. Whole pass, per entry in brackets. Times",
            "move with whatever else the machine runs; the interleaved rounds keep the ratio steadier.",
            "",
            "| database | baseline SHA-256 | read only | checks and the rest | ledger_verify | ratio |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "*Read only* is the verifier's own batched query in one process, every row fetched and",
            "nothing checked; *checks and the rest* is what verify adds beyond that and the baseline's",
            "hashing (links, columns against payloads, forking). It goes negative when the two",
            "processes below overlap more than the checks cost.",
            _verdict(results),
            "",
            "How verify works now: rows come through the driver's own cursor, not Django's wrapper",
            "(about 2 µs per row less), with every text column as bytes (SQLite `text_factory=bytes`;",
            "PostgreSQL a binary-format psycopg cursor with text loaded as bytes, so nothing is",
            "decoded or re-encoded); no model instances and no json.loads, but two byte-string",
            "comparisons against cached per-event templates pin the columns to the payload, with the",
            "full JSON comparison only for entries they do not vouch for. Above 20,000 entries, outside",
            "a transaction and not on an in-memory SQLite database, the sequence range is split into",
            "two halves checked in forked processes with their own connections (hashlib holds the GIL",
            "for inputs under 2 KiB, so threads would not help); the parent joins the halves by",
            "prev_hash and, on any doubt, checks again in one pass from the doubtful half, so a failure",
            "is worded exactly as before. The split pays only when the second core is free: with",
            "another job busy on this 2-CPU machine the two halves take as long as one pass, which is",
            "why SQLite's figure moves between runs far more than the baseline does.",
            "Why the target stays out of reach: per entry, fetching the nine columns from Python costs",
            "3 to 5 µs on SQLite (the C-level scan alone is under 1 µs; the rest is building the Python",
            "row) and 5 to 8 µs on PostgreSQL (about half of it in the server process), against 1.3 to",
            "2 µs of hashing; the checks add 1.5 to 2 µs more. Two processes halve that at best, and on",
            "this 2-CPU machine the PostgreSQL server, other jobs and the two workers share the same two",
            "cores, so half the baseline's speed needs a compiled verifier (or more cores), not a",
            "tighter Python loop.",
            "Tried and dropped: handing each batch over as a few aggregated strings",
            "(`group_concat`/`string_agg`) with the column checks in SQL (`instr`, `json_quote`,",
            "`substr`) or one regular expression over the batch (5 to 36 µs per entry: SQLite's string",
            "functions and its aggregate cost more than the reads they save); `json_extract` against",
            "`json_array` of the columns (3 to 4 µs per entry in SQLite alone); building the expected",
            "payload text in SQL (no cheaper than fetching the columns); server-side named cursors on",
            "PostgreSQL (slower than paging on the sequence); `convert_to(payload, 'UTF8')` (costs the",
            "server about 1 µs per entry, the bytes loader nothing); smaller fetches for cache locality",
            "and SQLite's mmap (within the noise).",
            "",
            f"Measured {today} on {machine}.",
            f"Reproduce: `{command}` (`--no-write` leaves this page alone).",
            END,
        ]
    )


def _verdict(results: list[dict]) -> str:
    missed = [r for r in results if r["ratio"] < TARGET_RATIO]
    if not missed:
        return "The target is met."
    names = " and ".join(r["server"].split(" (")[0] for r in missed)
    if all(r["read_only"] >= r["baseline"] for r in missed):
        return (
            f"**The target is missed** on {names}: reading the rows alone takes longer than\n"
            "the baseline, so verify cannot reach half its speed however tight the Python loop."
        )
    return f"**The target is missed** on {names}."


def _rewrite_docs(section: str) -> None:
    rewrite_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
