#!/usr/bin/env python
"""Requests per second of the public matrix page against a trivial Django view, at scale.

Builds a throwaway SQLite database (migrate, load_frameworks, `seed_scale --orgs 200 --periods 4`
through the services; --reuse keeps it in var/bench-matrix/ for the next run), starts a real
server process on 127.0.0.1 (Django's runserver, --noreload --nothreading, DEBUG off) with a
bench-only URLconf (bench/bench_urls.py) that adds a trivial view and an uncached matrix, and
drives it from this script with a bounded number of requests over HTTP/1.0-style connections.
Measures, best of --rounds interleaved rounds:

- the matrix page "/" as visitors get it: cached after a warm-up request;
- /bench/trivial/: an empty view through the same middleware, on the same server process;
- /bench/uncached/: the matrix with the cache emptied before each request (for information);
- /bench/whole-response/: the matrix's whole response body served from the cache (an experiment:
  what caching the entire page for anonymous visitors would give; for information).

The figure is matrix rps / trivial rps; the target is at least 0.8 when cached, at 200
organisations. Prints the figures and rewrites its own section of docs/benchmarks.md.

    .venv/bin/python bench/bench_matrix.py [--orgs 200] [--periods 4] [--requests 1000]
        [--clients 2] [--rounds 3] [--reuse] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _docs import machine_text, rewrite_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
REUSE_DIR = ROOT / "var" / "bench-matrix"
START, END = "<!-- bench:matrix:start -->", "<!-- bench:matrix:end -->"
TARGET_RATIO = 0.8
HOST = "127.0.0.1"
PAGES = {
    "matrix": "/",
    "trivial": "/bench/trivial/",
    "uncached": "/bench/uncached/",
    "whole": "/bench/whole-response/",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1000, help="requests per page and round")
    parser.add_argument("--uncached-requests", type=int, default=60, help="requests per round, uncached")
    parser.add_argument("--clients", type=int, default=2, help="client threads sending requests")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best of each page counts")
    parser.add_argument("--reuse", action="store_true", help=f"keep the seeded database in {REUSE_DIR}")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    work = REUSE_DIR / f"orgs{args.orgs}-periods{args.periods}" if args.reuse else None
    scratch = None
    if work is None:
        scratch = work = Path(tempfile.mkdtemp(prefix="pledgeproof-bench-matrix-"))
    try:
        env = _environment(work)
        seeded = _prepare(work, env, args)
        facts = _facts(env)
        results = _measure(env, args)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    section = _section(results, facts, seeded, args)
    print(section)
    if not args.no_write:
        _rewrite_docs(section)
        print(f"Updated {DOCS.relative_to(ROOT)}")
    return 0 if results["ratio"] >= TARGET_RATIO else 1


def _environment(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        MEDIA_ROOT=str(work / "media"),
        DEBUG="0",
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=f"{HOST},localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("CACHE_URL", None)  # the default per-process memory cache, as a single server runs
    env.pop("CELERY_BROKER_URL", None)
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=ROOT, env=env)


def _prepare(work: Path, env: dict[str, str], args: argparse.Namespace) -> dict:
    """Migrate and seed, unless --reuse finds a database seeded with the same arguments."""
    marker = work / "seeded"
    if marker.exists():
        print(f"Reusing the seeded database in {work}")
        return {"seconds": float(marker.read_text()), "reused": True}
    work.mkdir(parents=True, exist_ok=True)
    (work / "bench.sqlite3").unlink(missing_ok=True)
    shutil.rmtree(work / "media", ignore_errors=True)
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "load_frameworks", "-v0")
    print(f"Seeding {args.orgs} organisations × {args.periods} periods through the services...")
    started = time.monotonic()
    _manage(env, "seed_scale", "--orgs", str(args.orgs), "--periods", str(args.periods), "--force")
    seconds = time.monotonic() - started
    marker.write_text(f"{seconds:.1f}")
    return {"seconds": seconds, "reused": False}


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
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _measure(env: dict[str, str], args: argparse.Namespace) -> dict:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"{HOST}:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        best = dict.fromkeys(PAGES, 0.0)
        sizes = {}
        for round_number in range(1, args.rounds + 1):
            sizes["matrix"] = len(_get(port, PAGES["matrix"]))  # warm-ups: fill the caches
            sizes["whole"] = len(_get(port, PAGES["whole"]))
            for name in ("matrix", "trivial", "whole", "uncached"):
                count = args.uncached_requests if name == "uncached" else args.requests
                rps = _rps(port, PAGES[name], count, args.clients)
                best[name] = max(best[name], rps)
                print(f"  round {round_number}: {name:<8} {rps:8.1f} requests/s")
        sizes["trivial"] = len(_get(port, PAGES["trivial"]))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {**best, "ratio": best["matrix"] / best["trivial"], "sizes": sizes}


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            _get(port, PAGES["trivial"])
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 30 s")


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return body
    finally:
        connection.close()


def _rps(port: int, path: str, count: int, clients: int) -> float:
    """`count` GETs shared among `clients` threads; each connection is closed by the server."""
    shares = [count // clients + (1 if n < count % clients else 0) for n in range(clients)]
    errors: list[BaseException] = []

    def client(share: int) -> None:
        try:
            for _ in range(share):
                _get(port, path)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return count / elapsed


def _section(results: dict, facts: dict, seeded: dict, args: argparse.Namespace) -> str:
    today = datetime.date.today().isoformat()
    machine = machine_text()
    ratio = results["ratio"]
    verdict = "met" if ratio >= TARGET_RATIO else "missed"
    trivial = results["trivial"]
    seeding = f"seeded through the services in {seeded['seconds'] / 60:.1f} min" + (
        " (an earlier run, reused)" if seeded["reused"] else ""
    )
    command = ".venv/bin/python bench/bench_matrix.py"
    if (args.orgs, args.periods) != (200, 4):
        command += f" --orgs {args.orgs} --periods {args.periods}"
    rows = [
        f"| `/` matrix, cached (what visitors get) | {results['matrix']:.0f} "
        f"| {1000 / results['matrix']:.2f} ms | {results['sizes']['matrix'] / 1024:.0f} KiB "
        f"| **{ratio:.2f}** {verdict} |",
        f"| `/bench/trivial/` trivial view | {trivial:.0f} | {1000 / trivial:.2f} ms "
        f"| {results['sizes']['trivial']} B | 1.00 |",
        f"| `/bench/whole-response/` matrix, whole body cached (experiment) | {results['whole']:.0f} "
        f"| {1000 / results['whole']:.2f} ms | {results['sizes']['whole'] / 1024:.0f} KiB "
        f"| {results['whole'] / trivial:.2f} |",
        f"| `/bench/uncached/` matrix, cache emptied first | {results['uncached']:.1f} "
        f"| {1000 / results['uncached']:.1f} ms | same as cached | {results['uncached'] / trivial:.3f} |",
    ]
    return "\n".join(
        [
            START,
            "## Public matrix page at scale",
            "",
            f"The matrix page `/` at {facts['organisations']} organisations "
            f"({facts['published']} published reports, {args.periods} yearly periods of the 21-mitigation",
            f"Safety by Design framework, {seeding}; the page shows the latest period,",
            f"{facts['rows']} organisation rows), served by one real server process on 127.0.0.1: Django's",
            "`runserver --noreload --nothreading` with DEBUG off, the default per-process memory cache and",
            "SQLite. A bench-only URLconf (`bench/bench_urls.py`) adds the trivial view and the uncached",
            f"matrix; the product's URLs are untouched. {args.clients} client threads in the script send",
            f"{args.requests} requests per page and round ({args.uncached_requests} uncached), a new",
            "connection each, as the single-threaded server closes them; best of "
            f"{args.rounds} interleaved rounds,",
            "after a warm-up request that fills the cache.",
            f"Target: matrix (cached) / trivial view at least {TARGET_RATIO}.",
            "",
            "| page | requests/s | time per request | response | ratio to trivial |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"An uncached matrix runs {facts['queries']} SQL queries at this size (the query-count tests",
            "pin that it does not grow with organisations or items); a cached one runs "
            f"{facts['cached_queries']}.",
            "The client shares the machine's cores with the server, so the absolute figures are lower than",
            "a separate load generator would show; both pages pay that alike, and the ratio is the figure.",
            _verdict(results),
            "",
            f"Measured {today} on {machine}.",
            f"Reproduce: `{command}` (`--reuse` keeps the seeded database in var/bench-matrix/ for the",
            "next run; `--no-write` leaves this page alone).",
            END,
        ]
    )


def _verdict(results: dict) -> str:
    if results["ratio"] >= TARGET_RATIO:
        return "\nThe target is met."
    return "\n".join(
        [
            "",
            f"**The target is missed**: the cached matrix serves {results['ratio']:.2f} of the trivial",
            "view's requests per second. Caching works (no query, and 0.4 s of building the page is",
            "gone), but "
            "what remains per request grows with the page: at 200 organisations the cached fragment is",
            "over 600 KiB of text, and every request unpickles it from the cache as a Python str, joins",
            "it into the site header's template (`public/page.html` and `base.html`, rendered per request",
            "because they show who is signed in and carry the CSRF token) and encodes the result to UTF-8",
            "again. A profile of the request in-process (Django's test client, same database) put about",
            "1.1 ms in `str.encode`, 0.7 ms in unpickling and 0.8 ms in the template's joins, against",
            "0.65 ms for the whole trivial request.",
            f"The experiment row shows the way out: the same body sent as cached bytes reaches "
            f"{results['whole'] / results['trivial']:.2f} of the",
            "trivial view; the rest is moving the 600 KiB themselves. Meeting 0.8 needs both a whole-",
            "response cache for anonymous visitors (header rendered without the CSRF token and user, body",
            "stored as bytes) and a smaller matrix page at this size (terser cell markup, or paging the",
            "organisations); both change the public views, not this script.",
        ]
    )


def _rewrite_docs(section: str) -> None:
    rewrite_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
