#!/usr/bin/env python
"""Requests per second of the public matrix page against a trivial Django view, at scale.

Builds a throwaway SQLite database (migrate, load_frameworks, `seed_scale --orgs 200 --periods 4`
through the services; --reuse keeps it in var/bench-matrix/ for the next run), starts a real
server process on 127.0.0.1 (Django's runserver, --noreload --nothreading, DEBUG off) with a
bench-only URLconf (bench/bench_urls.py) that adds a trivial view and an uncached matrix, and
drives it from this script with a bounded number of requests over HTTP/1.0-style connections.
Every request is an anonymous visitor's and, like a browser's, says `Accept-Encoding: gzip`
(except the one row that measures a client that does not). Measures, in --rounds rounds in
which the cached pages take turns:

- the matrix page "/" as visitors get it: cached after a warm-up request;
- /bench/trivial/: an empty view through the same middleware, on the same server process;
- "/" again from a client that does not accept gzip (for information);
- /bench/uncached/: the matrix with the cache emptied before each request (for information),
  in rounds of its own after the cached ones.

The figure is matrix rps / trivial rps in the same round, the median over rounds; the target is
at least 0.8 when cached, at 200 organisations. Prints the figures and rewrites its own section
of docs/benchmarks.md.

    .venv/bin/python bench/bench_matrix.py [--orgs 200] [--periods 4] [--requests 1000]
        [--clients 2] [--rounds 5] [--reuse] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time

from _docs import machine_text, rewrite_section
from _seeded import bench_work, prepare_seeded
from _server import HOST, ROOT, facts_in_process, free_port, server_environment, shares, wait_until_answering

DOCS = ROOT / "docs" / "benchmarks.md"
REUSE_DIR = ROOT / "var" / "bench-matrix"
START, END = "<!-- bench:matrix:start -->", "<!-- bench:matrix:end -->"
TARGET_RATIO = 0.8
SLICES = 10  # per round, the cached pages take turns this many times
# name: (path, whether the client sends Accept-Encoding: gzip, as browsers do)
PAGES = {
    "matrix": ("/", True),
    "trivial": ("/bench/trivial/", True),
    "identity": ("/", False),
    "uncached": ("/bench/uncached/", True),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1000, help="requests per page and round")
    parser.add_argument("--uncached-requests", type=int, default=60, help="requests per round, uncached")
    parser.add_argument("--clients", type=int, default=2, help="client threads sending requests")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; medians over rounds count")
    parser.add_argument("--reuse", action="store_true", help=f"keep the seeded database in {REUSE_DIR}")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    with bench_work(REUSE_DIR, reuse=args.reuse, orgs=args.orgs, periods=args.periods) as work:
        env = server_environment(work)
        seeded = prepare_seeded(work, env, orgs=args.orgs, periods=args.periods)
        facts = _facts(env)
        results = _measure(env, args)

    section = _section(results, facts, seeded, args)
    print(section)
    if not args.no_write:
        _rewrite_docs(section)
        print(f"Updated {DOCS.relative_to(ROOT)}")
    return 0 if results["ratio"] >= TARGET_RATIO else 1


def _facts(env: dict[str, str]) -> dict:
    """What the server will serve: sizes, and the uncached matrix's SQL query count, in-process."""
    code = """
import json, django
django.setup()
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from commitments.models import Organisation, ProgressReport
client = Client()
cache.clear()
with CaptureQueriesContext(connection) as queries:
    response = client.get("/")
assert response.status_code == 200, response.status_code
with CaptureQueriesContext(connection) as cached:
    client.get("/")
print(json.dumps({
    "organisations": Organisation.objects.count(),
    "published": ProgressReport.objects.published().count(),
    "matrix_bytes": len(response.content),
    "rows": response.content.decode().count('<th scope="row"'),
    "queries": len(queries),
    "cached_queries": len(cached),
}))
"""
    return facts_in_process(env, code)


def _measure(env: dict[str, str], args: argparse.Namespace) -> dict:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"{HOST}:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load_before = os.getloadavg()[0]
    try:
        wait_until_answering(server, lambda: _get(port, *PAGES["trivial"]))
        measured: dict[str, list[float]] = {name: [] for name in PAGES}
        sizes = {}
        for round_number in range(1, args.rounds + 1):
            for name in ("matrix", "identity"):  # warm-ups: fill the caches
                sizes[name] = len(_get(port, *PAGES[name]))
            # The cached pages alternate in slices of the round's requests, so a burst of load
            # from other processes falls on all of them rather than on whichever ran then.
            elapsed = dict.fromkeys(("matrix", "trivial", "identity"), 0.0)
            for share in shares(args.requests, SLICES):
                for name in elapsed:
                    elapsed[name] += _elapsed(port, *PAGES[name], share, args.clients)
            for name, seconds in elapsed.items():
                measured[name].append(args.requests / seconds)
                print(f"  round {round_number}: {name:<8} {args.requests / seconds:8.1f} requests/s")
        # Last, not between the cached rounds: sixty full renders leave the process a garbage
        # collection to run, and the first slice of the next round would pay for it.
        for round_number in range(1, args.rounds + 1):
            rps = args.uncached_requests / _elapsed(
                port, *PAGES["uncached"], args.uncached_requests, args.clients
            )
            measured["uncached"].append(rps)
            print(f"  round {round_number}: uncached {rps:8.1f} requests/s")
        sizes["trivial"] = len(_get(port, *PAGES["trivial"]))
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Each page against the trivial view of the same round, so load from other processes that
    # comes and goes between rounds weighs on both sides of a ratio alike; medians over rounds.
    round_ratios = {
        name: [rps / trivial for rps, trivial in zip(measured[name], measured["trivial"], strict=True)]
        for name in ("matrix", "identity")
    }
    rps = {name: statistics.median(values) for name, values in measured.items()}
    return {
        "rps": rps,
        "ratios": {
            **{name: statistics.median(values) for name, values in round_ratios.items()},
            "uncached": rps["uncached"] / rps["trivial"],
        },
        "matrix_round_ratios": round_ratios["matrix"],
        "ratio": statistics.median(round_ratios["matrix"]),
        "sizes": sizes,
        "load": (load_before, os.getloadavg()[0]),
    }


def _get(port: int, path: str, accept_gzip: bool) -> bytes:
    """The body as sent (gzipped when the server chose to), not decompressed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"} if accept_gzip else {})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return body
    finally:
        connection.close()


def _elapsed(port: int, path: str, accept_gzip: bool, count: int, clients: int) -> float:
    """Seconds for `count` GETs shared among `clients` threads; the server closes each connection."""
    client_shares = shares(count, clients)
    errors: list[BaseException] = []

    def client(share: int) -> None:
        try:
            for _ in range(share):
                _get(port, path, accept_gzip)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(share,)) for share in client_shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.0f} KiB"


def _section(results: dict, facts: dict, seeded: dict, args: argparse.Namespace) -> str:
    today = datetime.date.today().isoformat()
    machine = machine_text()
    rps, ratios, sizes = results["rps"], results["ratios"], results["sizes"]
    ratio = results["ratio"]
    verdict = "met" if ratio >= TARGET_RATIO else "missed"
    seeding = f"seeded through the services in {seeded['seconds'] / 60:.1f} min" + (
        " (an earlier run, reused)" if seeded["reused"] else ""
    )
    command = ".venv/bin/python bench/bench_matrix.py"
    if (args.orgs, args.periods) != (200, 4):
        command += f" --orgs {args.orgs} --periods {args.periods}"
    round_ratios = ", ".join(f"{r:.2f}" for r in results["matrix_round_ratios"])
    rows = [
        f"| `/` matrix, cached (what visitors get, gzip) | {rps['matrix']:.0f} "
        f"| {1000 / rps['matrix']:.2f} ms | {_size(sizes['matrix'])} "
        f"| **{ratio:.2f}** {verdict} |",
        f"| `/bench/trivial/` trivial view | {rps['trivial']:.0f} | {1000 / rps['trivial']:.2f} ms "
        f"| {_size(sizes['trivial'])} | 1.00 |",
        f"| `/` matrix, cached, client without gzip | {rps['identity']:.0f} "
        f"| {1000 / rps['identity']:.2f} ms | {_size(sizes['identity'])} | {ratios['identity']:.2f} |",
        f"| `/bench/uncached/` matrix, cache emptied first | {rps['uncached']:.1f} "
        f"| {1000 / rps['uncached']:.1f} ms | as cached | {ratios['uncached']:.3f} |",
    ]
    return "\n".join(
        [
            START,
            "## Public matrix page at scale",
            "",
            f"The matrix page `/` at {facts['organisations']} organisations "
            f"({facts['published']} published reports, {args.periods} yearly periods of the 21-mitigation",
            f"Safety by Design framework, {seeding}; the page shows the latest period,",
            f"{facts['rows']} organisation rows, {facts['matrix_bytes'] / 1024:.0f} KiB of HTML), served by",
            "one real server process on 127.0.0.1: Django's `runserver --noreload --nothreading` with",
            "DEBUG off, the default per-process memory cache and SQLite. A bench-only URLconf",
            "(`bench/bench_urls.py`) adds the trivial view and the uncached matrix; the product's URLs are",
            f"untouched. {args.clients} client threads in the script send {args.requests} requests per page",
            f"and round ({args.uncached_requests} uncached), a new connection each, as the single-threaded",
            "server closes them, all as anonymous visitors sending `Accept-Encoding: gzip` as browsers do",
            "(the trivial view's 2 bytes are never compressed), except the row that measures a client",
            f"without it. {args.rounds} rounds after a warm-up request that fills the cache; within a round",
            f"the cached pages take turns in {SLICES} slices of its requests, so load from other processes",
            "falls on them alike. Requests/s are medians over the rounds, and each ratio is the median of",
            "that page's rate over the trivial view's rate in the same round. The uncached matrix is",
            f"measured after the cached rounds ({args.rounds} times), as its renders leave garbage that",
            "the next cached request would otherwise pay to collect; its ratio is of the medians.",
            f"Target: matrix (cached) / trivial view at least {TARGET_RATIO}.",
            "",
            "| page | requests/s | time per request | response on the wire | ratio to trivial |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Matrix ratio per round: {round_ratios}.",
            f"An uncached matrix runs {facts['queries']} SQL queries at this size (the query-count tests",
            "pin that it does not grow with organisations or items); a cached one runs "
            f"{facts['cached_queries']} and renders no template.",
            "The client shares the machine's two cores with the server, so the absolute figures are lower",
            "than a separate load generator would show; both pages pay that alike, and the ratio is the",
            "figure. Other jobs on the machine move the absolute figures between rounds and runs more than",
            f"the ratios; the 1-minute load average was {results['load'][0]:.2f} when the server started",
            f"and {results['load'][1]:.2f} when it stopped.",
            _verdict(results),
            "",
            f"Measured {today} on {machine}.",
            f"Reproduce: `{command}` (`--reuse` keeps the seeded database in var/bench-matrix/ for the",
            "next run; `--no-write` leaves this page alone).",
            END,
        ]
    )


def _verdict(results: dict) -> str:
    met = results["ratio"] >= TARGET_RATIO
    identity = results["ratios"]["identity"]
    return "\n".join(
        [
            "",
            ("The target is met" if met else "**The target is missed**")
            + f": the cached matrix serves {results['ratio']:.2f} of the trivial view's requests per second.",
            "How: an anonymous GET of a public page is answered from a whole-response cache",
            "(`reports.cache.public_response_cached`): the page's bytes and headers, stored uncompressed and",
            "gzipped, keyed by the full path and the publication generation, so a hit renders no template",
            "and runs no query. That is safe only because a page rendered for an anonymous visitor holds",
            "nothing of the visitor: `base.html` carries the CSRF token only for signed-in users, a render",
            "that read the token, set a cookie or changed the session is never stored, and signed-in users",
            "and visitors with messages waiting always get a fresh render.",
            "What remains per hit, beyond the trivial view: looking for a session cookie and waiting",
            "messages, two cache reads (the generation, then the page), building the response, and",
            f"sending it. Sending is what separates the rows: {results['sizes']['matrix'] / 1024:.0f} KiB "
            f"gzipped against {results['sizes']['identity'] / 1024:.0f} KiB for a client that does",
            f"not accept gzip, which reaches only {identity:.2f} of the trivial view: at that size the bytes",
            "themselves (the server's writes and the client's reads on the same two cores) cost more than",
            "the whole trivial request, whatever the view does.",
        ]
    )


def _rewrite_docs(section: str) -> None:
    rewrite_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
