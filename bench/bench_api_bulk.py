#!/usr/bin/env python
"""A bulk update of a report's items through the API: queries and time for 21 items and for 3.

A throwaway database (SQLite always; with --database-url also a fresh database on that PostgreSQL
server, dropped afterwards): migrate, load the frameworks, a log key, then one fictional
organisation's draft on the 21-mitigation Safety by Design framework and an officer's API token,
all through the services. Each round reads the report's items (`GET /api/v1/reports/{id}/items/`,
untimed, for their ETags) and sends one `PATCH /api/v1/reports/{id}/items/` changing the status,
narrative and metric values of the first 3 items, or of all 21, each entry with its `if_match`;
for comparison, the same 21 changes as 21 `PATCH /api/v1/items/{id}/` with `If-Match`. Every
change differs from the last, so each item gets its ledger entry. Requests go through Django's
test client in this process (no network): the time is the server's whole work, the checkpoint
signing after the commit included. Queries are counted per request; times are medians over the
rounds, after one warm-up round of each.
Target: the bulk update of 21 items takes as many queries as that of 3.

    .venv/bin/python bench/bench_api_bulk.py [--rounds 15]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _docs import machine_text, rewrite_section  # noqa: E402

START, END = "<!-- bench:api-bulk:start -->", "<!-- bench:api-bulk:end -->"
ORGANISATION = "Fictional Bulk Bench Lab"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--database-url", help="also measure on this PostgreSQL server (in a fresh database)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.rounds)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="pledgeproof-bench-api-bulk-"))
    try:
        urls = [f"sqlite:///{work / 'bench.sqlite3'}"]
        if args.database_url:
            urls.append(args.database_url)
        results = [_in_child(url, work, args.rounds) for url in urls]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    section = _section(results, args)
    print(section)
    if not args.no_write:
        rewrite_section(START, END, section)
        print("Updated docs/benchmarks.md")
    return 0 if all(r["bulk"]["3"]["queries"] == r["bulk"]["21"]["queries"] for r in results) else 1


def _in_child(url: str, work: Path, rounds: int) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=url,
        DEBUG="1",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=str(work / "media"),
        PLEDGEPROOF_SIGNING_DIR=str(work / "signing"),
        API_RATE_TOKEN="1000000/minute",  # the rounds are many requests of one token
        PYTHONPATH=str(ROOT),
    )
    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    command = [sys.executable, __file__, "--worker", url, "--rounds", str(rounds)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(url: str, rounds: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    throwaway = None
    if connection.vendor == "postgresql":
        # Never touch what is in the given database: work in a fresh one and drop it after.
        original_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = f"pp_bench_api_bulk_{os.getpid()}"
        throwaway = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0, interactive=False)
    try:
        call_command("init_signing_key", verbosity=0, stdout=io.StringIO())  # before anything is ledgered
        call_command("load_frameworks", verbosity=0)
        return _measure(rounds)
    finally:
        if throwaway is not None:
            connection.close()
            connection.creation.destroy_test_db(original_name, verbosity=0)


def _fixture():
    """An officer's token and a draft on the 21-mitigation framework, through the services."""
    from accounts.models import User
    from api.models import TokenScope
    from api.services import api_token_create
    from commitments.models import Commitment, Framework, Membership, Organisation, ReportingPeriod
    from commitments.services.reports import report_create

    framework = Framework.objects.filter(key="sbd").order_by("-loaded_at").first()
    period = ReportingPeriod.objects.create(
        framework=framework,
        label="2026",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        due_on=datetime.date(2027, 3, 31),
    )
    organisation = Organisation.objects.create(name=ORGANISATION, slug="fictional-bulk-bench-lab")
    Commitment.objects.create(
        organisation=organisation,
        framework=framework,
        signed_on=datetime.date(2024, 4, 23),
        signatory="A. Person",
    )
    officer = User.objects.create_user("officer@bulk-bench.example", "not-a-real-password")
    Membership.objects.create(user=officer, organisation=organisation, role=Membership.Role.OFFICER)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    token = api_token_create(user=officer, name="bench", scope=TokenScope.WRITE).secret
    return report, token


def _change(item: dict, round_: int) -> dict:
    """A change of every field of the item, different in each round."""
    return {
        "status": ("implemented", "in_progress")[round_ % 2],
        "narrative": f"Round {round_}: **{item['title']}** is in place; reviewed quarterly.",
        "metrics": {
            metric["key"]: {
                "value": str(round_ % 90 + 1),
                "data_source": f"Case system export, round {round_}",
            }
            for metric in item["metrics"]
        },
    }


def _measure(rounds: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from commitments.models import LedgerEntry
    from commitments.services.ledger import ledger_verify

    report, token = _fixture()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    items_url = f"/api/v1/reports/{report.pk}/items/"

    def listed() -> list[dict]:
        response = client.get(items_url, {"page_size": 50})
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def bulk(count: int, round_: int) -> tuple[float, list[str]]:
        items = listed()[:count]
        body = {"items": [{"id": i["id"], "if_match": i["etag"], **_change(i, round_)} for i in items]}
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.patch(items_url, body, format="json")
            seconds = time.perf_counter() - started
        assert response.status_code == 200, response.content
        return seconds, _counted(queries)

    def one_by_one(round_: int) -> tuple[float, list[str]]:
        items = listed()
        seconds, sql = 0.0, []
        for item in items:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.patch(
                    f"/api/v1/items/{item['id']}/",
                    _change(item, round_),
                    format="json",
                    HTTP_IF_MATCH=item["etag"],
                )
                seconds += time.perf_counter() - started
            assert response.status_code == 200, response.content
            sql += _counted(queries)
        return seconds, sql

    entries_before = LedgerEntry.objects.count()
    load_before = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, list[str]]]] = {"3": [], "21": [], "single": []}
    for round_ in range(rounds + 1):  # round 0 warms up (and creates the metric rows)
        # Interleaved, so that whatever else the machine does weighs on all alike.
        results = {"3": bulk(3, round_), "21": bulk(21, round_), "single": one_by_one(round_)}
        if round_:
            for key, result in results.items():
                runs[key].append(result)
    assert ledger_verify().ok
    appended = LedgerEntry.objects.count() - entries_before

    def figures(key: str) -> dict:
        times = [seconds for seconds, _ in runs[key]]
        counts = {len(sql) for _, sql in runs[key]}
        assert len(counts) == 1, f"{key}: the query count changed between rounds: {sorted(counts)}"
        kinds = Counter(sql.split(None, 1)[0].upper() for sql in runs[key][0][1])
        return {
            "median": statistics.median(times),
            "all": times,
            "queries": counts.pop(),
            "kinds": dict(kinds),
        }

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        server = cursor.fetchone()[0]
    return {
        "vendor": connection.vendor,
        "server": server.split(" on ")[0] if connection.vendor == "postgresql" else f"SQLite {server}",
        "bulk": {"3": figures("3"), "21": figures("21")},
        "single": figures("single"),
        "entries": appended,
        "rounds": rounds,
        "load": (load_before, os.getloadavg()[0]),
    }


def _counted(queries) -> list[str]:
    """The request's queries, but for the token's "last used" time, which is written at most once
    a minute (api.services.api_token_used), whatever the request."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith('UPDATE "api_apitoken"')
    ]


def _kinds(kinds: dict) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]))


def _section(results: list[dict], args: argparse.Namespace) -> str:
    rows = []
    for r in results:
        label = r["server"]
        for request, figures, count in (
            ("one bulk `PATCH`, 3 items", r["bulk"]["3"], 3),
            ("one bulk `PATCH`, 21 items", r["bulk"]["21"], 21),
            ("21 single-item `PATCH`es", r["single"], 21),
        ):
            queries = f"**{figures['queries']}**" if "bulk" in request else str(figures["queries"])
            milliseconds = figures["median"] * 1000
            rows.append(
                f"| {label} | {request} | {queries} | {milliseconds:.1f} ms | {milliseconds / count:.1f} ms |"
            )
            label = ""
    constant = all(r["bulk"]["3"]["queries"] == r["bulk"]["21"]["queries"] for r in results)
    verdict = (
        "The query count is the same for 3 and 21 items: the target is met."
        if constant
        else "The query count GROWS with the items: the target is missed."
    )
    kinds = "\n".join(
        f"- {r['server']}: {_kinds(r['bulk']['21']['kinds'])} (21 items); the 21 single `PATCH`es "
        f"{_kinds(r['single']['kinds'])}."
        for r in results
    )
    rounds = "\n".join(
        f"- {r['server']}, 21 items in bulk (ms): "
        + ", ".join(f"{t * 1000:.0f}" for t in r["bulk"]["21"]["all"])
        + f" (1-minute load average {r['load'][0]:.2f} before the rounds, {r['load'][1]:.2f} after)"
        for r in results
    )
    database_url = " --database-url postgres://postgres@127.0.0.1:5432/postgres" if args.database_url else ""
    return f"""{START}
## Bulk update of a report's items through the API (issue 15)

`PATCH /api/v1/reports/{{id}}/items/` changing the status, narrative and metric values of 3 and
of all 21 items of a draft on the Safety by Design framework, each entry with its `if_match`
(the item's ETag from the list), against the same 21 changes sent as 21
`PATCH /api/v1/items/{{id}}/` with `If-Match`. Every change differs from the round before, so
each item gets its `item.updated` ledger entry ({results[0]["entries"]:,} entries appended on
each database; the ledger verifies after the run). Throwaway databases, Django's test client in the
benchmark's process (no network, DEBUG on), medians of {args.rounds} interleaved rounds after
a warm-up. Target: the 21-item bulk update takes as many queries as the 3-item one.

| database | request | queries | time (median) | per item |
|---|---|---|---|---|
{chr(10).join(rows)}

{verdict}
What the bulk request's queries are, by kind:
{kinds}

The bulk request is one transaction: the token and the report (the gate), the report locked
once, the items locked and read, their metric definitions and values read once, the items
updated in one statement and the new metric values inserted or the changed ones updated in one
each, then the ledger (`ledger_append_many`): the head locked once, every entry inserted in one
statement, the tree's frontier (the older Merkle nodes new leaves join with) read in one query
and the new nodes inserted in one, the head updated, one checkpoint request in the outbox. The
`if_match` check and the answer each read the items once more; after the commit, the checkpoint
request is signed in the same process (no broker): that is what the table adds to the tests' pin
of the request alone (`tests/api/test_items_api.py`, 26 queries for 3 items as for 21). Not
counted: the token's "last used" time, written at most once a minute whatever the request. The
times move with whatever else the two cores run (the load averages below); the query counts do not.
Bulk rounds:
{rounds}

Measured {datetime.date.today():%Y-%m-%d} on {machine_text()}.
Reproduce: `.venv/bin/python bench/bench_api_bulk.py{database_url}` (`--no-write` leaves this page alone).
{END}"""


if __name__ == "__main__":
    sys.exit(main())
