#!/usr/bin/env python
"""What a dead broker costs a request: a publication's side effects dispatched after commit.

One transaction records what publishing a report records (an email, the public cache refresh, the
public PDF job) and commits; the on-commit dispatch then publishes to the broker. Timed from the
commit to the end of the dispatch, with the project's Celery settings, against a broker that
refuses connections (a closed port) and one that accepts them and never answers (a listening
socket nobody reads). For comparison, one bare publish with Celery's defaults against the silent
broker, in a child process given up after 60 s. Throwaway SQLite database; prints the figures and
rewrites its own section of docs/benchmarks.md.

    .venv/bin/python bench/bench_outbox.py [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _docs import machine_text, rewrite_section

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:outbox:start -->", "<!-- bench:outbox:end -->"
REFUSED = "redis://127.0.0.1:1/0"
DEFAULTS_GIVE_UP = 60
ROUNDS = 3
TARGET_SECONDS = 5

BARE_PUBLISH = """
import sys, time
from celery import Celery
app = Celery("bare", broker=sys.argv[1])
started = time.monotonic()
try:
    app.send_task("noop")
except Exception as exc:
    print(f"{time.monotonic() - started:.2f} {type(exc).__name__}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(128)  # connections complete in the kernel's backlog; nothing ever answers
    silent_url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    work = Path(tempfile.mkdtemp(prefix="pledgeproof-bench-outbox-"))
    os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}", LOG_LEVEL="ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    rows = []
    for label, url in (("refused (closed port)", REFUSED), ("silent (accepts, never answers)", silent_url)):
        times, pending = _publication_dispatch(url)
        rows.append((label, times, pending))
    defaults = _defaults_publish(silent_url)
    silent.close()

    worst = max(max(times) for _label, times, _pending in rows)
    within = worst <= TARGET_SECONDS
    section = _section(rows, defaults, within)
    print(section)
    if not args.no_write:
        rewrite_section(START, END, section)
        print("Updated docs/benchmarks.md")
    return 0 if within else 1


def _publication_dispatch(broker_url: str) -> tuple[list[float], int]:
    from celery import Celery
    from django.db import transaction

    from outbox import services
    from outbox.models import OutboxEntry, OutboxKind

    app = Celery("bench-broker-down", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    app.set_current()
    times = []
    for _round in range(ROUNDS):
        services._broker_paused.clear()  # each round is a fresh process meeting the dead broker
        OutboxEntry.objects.all().delete()
        with transaction.atomic():
            services.record(
                OutboxKind.EMAIL,
                {"template": "report_published", "to": ["officer@example.test"], "context": {}},
            )
            services.record(OutboxKind.PUBLIC_CACHE_BUMP, {})
            services.record(OutboxKind.PDF_RENDER, {"artifact_id": 1})
            started = time.monotonic()  # on_commit callbacks run as the block exits
        times.append(time.monotonic() - started)
    pending = OutboxEntry.objects.pending().count()
    app.close()
    return times, pending


def _defaults_publish(broker_url: str) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-c", BARE_PUBLISH, broker_url],
            capture_output=True,
            text=True,
            timeout=DEFAULTS_GIVE_UP,
        )
    except subprocess.TimeoutExpired:
        return f"no answer after {DEFAULTS_GIVE_UP} s (given up)"
    return done.stdout.strip() or done.stderr.strip()[-200:]


def _section(rows, defaults: str, within: bool) -> str:
    table = "\n".join(
        f"| {label} | {min(times):.2f} s | {max(times):.2f} s | {pending} of 3 |"
        for label, times, pending in rows
    )
    verdict = "within" if within else "OVER"
    return f"""{START}
## A dead broker during a request (issue 12)

What a request pays after its commit when the broker is down: one transaction records a
publication's side effects (an email, the public cache refresh, the public PDF job) in the outbox
and commits; the on-commit dispatch tries the broker, fails, logs a warning and leaves the rows
pending. Project settings: `CELERY_BROKER_CONNECTION_TIMEOUT = 2`, transport
`socket_connect_timeout = 2`, `socket_timeout = 3`, publish retries 2; after one broker error a
process does not try the broker again for 30 s, so the PDF job does not wait a second time.
{ROUNDS} rounds each. Target: at most {TARGET_SECONDS} s.

| broker | fastest | slowest | rows left pending (cache refresh needs no broker) |
|---|---|---|---|
{table}

Celery's defaults (no socket timeout), one bare publish to the silent broker: {defaults}.
Verdict: {verdict} the {TARGET_SECONDS} s target.

Measured {datetime.date.today().isoformat()} on {machine_text()}.
Reproduce: `.venv/bin/python bench/bench_outbox.py` (`--no-write` leaves this page alone).
{END}"""


if __name__ == "__main__":
    raise SystemExit(main())
