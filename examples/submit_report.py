#!/usr/bin/env python3
"""Push a whole progress report to Pledgeproof from a CSV file, then submit it.

    python examples/submit_report.py --server https://pledgeproof.example --organisation tamarind \\
        --period 2026 examples/tamarind-2026.csv

The token is read from PLEDGEPROOF_TOKEN (or --token): a personal API token with the read-write
scope, of one of the organisation's compliance officers (a contributor's token can push items and
evidence, not submit). Needs only `requests` and the standard library.

One row of the CSV per item (a mitigation), named by `node_id` or by `code` (as the framework
prints it, e.g. M7). Columns, all but the item's name optional; an empty cell changes nothing:

    node_id | code            the item
    status                    not_started, planned, in_progress, implemented or not_applicable
    narrative                 Markdown
    areas_needing_progress    Markdown
    metric_<key>              the metric's value, or "value|data source"
    evidence                  file paths (relative to the CSV file) and https:// addresses, separated by ;
    evidence_title            one title per evidence entry, separated by ; (default: the file name)
    evidence_visibility       public (default) or restricted, for the row's evidence
    evidence_date             when the documents took effect, YYYY-MM-DD (default: today)

What it does, in order: finds the organisation's report for the period, or opens a draft; reads its
items; changes every item of the CSV in one request (all or nothing; each item only if nobody
changed it since it was read); uploads the evidence, skipping what the item already has; submits.
Retried requests carry an Idempotency-Key, so a retry never acts twice. A refusal is printed as the
server words it, each problem next to the CSV row it is about; nothing of a refused item change is
saved. Exit status: 0 submitted (or pushed, with --no-submit), 1 refused by the server, 2 a problem
with the command line or the CSV file.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import mimetypes
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

STATUSES = ("not_started", "planned", "in_progress", "implemented", "not_applicable")
TEXT_FIELDS = ("status", "narrative", "areas_needing_progress")
EDITABLE = ("draft", "changes_requested")
RETRIED_STATUSES = {429, 502, 503, 504}
TRIES = 4


class Refused(Exception):
    """The server refused a request: its problem details (RFC 9457) say why."""

    def __init__(self, response: requests.Response):
        self.status = response.status_code
        self.rows: dict[str, Row] = {}  # JSON Pointer prefix → the CSV row it is about
        self.context = ""
        try:
            self.problem = response.json()
        except ValueError:
            self.problem = {"detail": response.text[:500] or response.reason}
        super().__init__(self.problem.get("detail") or f"HTTP {self.status}")

    @property
    def errors(self) -> list[dict[str, str]]:
        return self.problem.get("errors") or []


class CsvProblem(Exception):
    """The CSV file or the command line cannot be used as it is."""


# --- the CSV file ---------------------------------------------------------------------------------


@dataclass
class Evidence:
    title: str
    visibility: str
    effective_date: str
    path: Path | None = None
    url: str = ""

    @property
    def sha256(self) -> str:
        if self.path is None:
            return ""
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        return digest.hexdigest()


@dataclass
class Row:
    line: int
    node_id: str
    code: str
    change: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.code or self.node_id


def read_rows(path: Path, *, today: datetime.date) -> list[Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CsvProblem(f"{path}: cannot read it: {exc}") from None
    rows, problems = [], []
    for line, raw in enumerate(lines, start=2):  # line 1 is the header
        cells = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
        try:
            rows.append(_row(line, cells, base=path.parent, today=today))
        except CsvProblem as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise CsvProblem(f"{path}:\n  " + "\n  ".join(problems))
    if not rows:
        raise CsvProblem(f"{path}: no rows below the header.")
    return rows


def _row(line: int, cells: dict[str, str], *, base: Path, today: datetime.date) -> Row:
    node_id, code = cells.get("node_id", ""), cells.get("code", "")
    if bool(node_id) == bool(code):
        raise CsvProblem("name the item by node_id or by code (one of the two).")
    row = Row(line=line, node_id=node_id, code=code)
    for name in TEXT_FIELDS:
        if cells.get(name):
            row.change[name] = cells[name]
    if "status" in row.change and row.change["status"] not in STATUSES:
        raise CsvProblem(f"status {row.change['status']!r} is none of {', '.join(STATUSES)}.")
    metrics = {}
    for column, cell in cells.items():
        if column.startswith("metric_") and cell:
            value, _, source = cell.partition("|")
            metrics[column.removeprefix("metric_")] = {"value": value.strip(), "data_source": source.strip()}
    if metrics:
        row.change["metrics"] = metrics
    row.evidence = _evidence(cells, base=base, today=today)
    return row


def _evidence(cells: dict[str, str], *, base: Path, today: datetime.date) -> list[Evidence]:
    entries = [entry.strip() for entry in cells.get("evidence", "").split(";") if entry.strip()]
    titles = [title.strip() for title in cells.get("evidence_title", "").split(";")]
    visibility = cells.get("evidence_visibility") or "public"
    if visibility not in ("public", "restricted"):
        raise CsvProblem(f"evidence_visibility {visibility!r} is neither public nor restricted.")
    effective = cells.get("evidence_date") or today.isoformat()
    try:
        datetime.date.fromisoformat(effective)
    except ValueError:
        raise CsvProblem(f"evidence_date {effective!r} is not a date (YYYY-MM-DD).") from None
    found = []
    for index, entry in enumerate(entries):
        title = titles[index] if index < len(titles) and titles[index] else ""
        if entry.startswith(("https://", "http://")):
            found.append(
                Evidence(title=title or entry, visibility=visibility, effective_date=effective, url=entry)
            )
            continue
        path = (base / entry).resolve()
        if not path.is_file():
            raise CsvProblem(f"evidence file {entry!r} not found (looked for {path}).")
        found.append(
            Evidence(title=title or path.name, visibility=visibility, effective_date=effective, path=path)
        )
    return found


# --- the API ------------------------------------------------------------------------------------------


class Api:
    def __init__(self, server: str, token: str):
        self.base = server.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "pledgeproof-submit/1",
            }
        )

    def call(self, method: str, path: str, *, retry: bool = False, **options: Any) -> requests.Response:
        """One request; retried (at most TRIES times) when the server asks to wait, or, with `retry`
        (reads, and writes carrying an Idempotency-Key), when the connection fails."""
        url = path if path.startswith("http") else self.base + path
        for attempt in range(1, TRIES + 1):
            try:
                response = self.session.request(method, url, timeout=60, **options)
            except requests.ConnectionError:
                if not retry or attempt == TRIES:
                    raise
                time.sleep(2**attempt)
                continue
            if response.status_code in RETRIED_STATUSES and attempt < TRIES:
                wait = response.headers.get("Retry-After", "")
                time.sleep(min(int(wait), 60) if wait.isdigit() else 2**attempt)
                continue
            if response.status_code >= 400:
                raise Refused(response)
            return response
        raise AssertionError("unreachable")

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, retry=True, params=params or None).json()

    def every(self, path: str, **params: Any) -> list[dict]:
        """Every result of a cursor-paginated list."""
        page = self.get(path, page_size=200, **params)
        results = list(page["results"])
        while page.get("next"):
            page = self.get(page["next"])
            results += page["results"]
        return results


def idempotency_key(*parts: Any) -> str:
    """The same key for the same action, so that a rerun within a day is answered, not repeated."""
    return "submit-report-" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:48]


# --- the steps ------------------------------------------------------------------------------------------


def find_period(api: Api, wanted: str, framework: str | None) -> dict:
    """The period labelled `wanted` (of `framework`), or else, for digits, the period of that id."""
    filters = {"label": wanted, **({"framework_key": framework} if framework else {})}
    periods = api.every("/periods/", **filters)
    if not periods and wanted.isdigit():
        return api.get(f"/periods/{wanted}/")
    if len(periods) != 1:
        named = ", ".join(f"{p['id']} ({p['framework']['key']} {p['label']})" for p in periods) or "none"
        raise CsvProblem(
            f"--period {wanted!r} names {len(periods)} periods ({named}): give its id or --framework."
        )
    return periods[0]


def open_report(api: Api, organisation: str, period: dict, *, carry_forward: bool, say) -> dict:
    found = api.every("/reports/", organisation=organisation, period=period["id"])
    if found:
        report = api.get(f"/reports/{found[0]['id']}/")
        say(f"{_named(report, period)}: {report['status']}.")
        return report
    body = {"organisation": organisation, "period": period["id"], "carry_forward": carry_forward}
    report = api.call(
        "POST",
        "/reports/",
        retry=True,
        json=body,
        headers={"Idempotency-Key": idempotency_key("open", organisation, period["id"])},
    ).json()
    say(f"{_named(report, period)}: opened as a draft.")
    return report


def _named(report: dict, period: dict) -> str:
    return f"Report {report['reference']} of {report['organisation']['name']} for {period['label']}"


def match_items(rows: list[Row], items: list[dict]) -> dict[int, dict]:
    """Each row's item (by row line), or CsvProblem naming the rows the report has no item for."""
    by_node = {item["node_id"]: item for item in items}
    by_code = {item["code"]: item for item in items if item["code"]}
    matched, unknown, seen = {}, [], {}
    for row in rows:
        item = by_node.get(row.node_id) if row.node_id else by_code.get(row.code)
        if item is None:
            unknown.append(f"line {row.line}: the report has no item {row.name!r}.")
        elif item["id"] in seen:
            unknown.append(f"line {row.line}: {row.name} is on line {seen[item['id']]} already.")
        else:
            seen[item["id"]] = row.line
            matched[row.line] = item
    if unknown:
        raise CsvProblem("\n  ".join(["The CSV does not match the report's items:", *unknown]))
    return matched


def push_items(api: Api, report: dict, rows: list[Row], items: dict[int, dict], say) -> None:
    changing = [row for row in rows if row.change]
    if not changing:
        say("Items: nothing to change.")
        return
    body = {
        "items": [
            {"id": items[row.line]["id"], "if_match": items[row.line]["etag"], **row.change}
            for row in changing
        ]
    }
    try:
        api.call("PATCH", f"/reports/{report['id']}/items/", json=body)
    except Refused as refused:
        refused.rows = {f"#/items/{index}": row for index, row in enumerate(changing)}
        raise
    say(f"Items: {len(changing)} changed in one request.")


def push_evidence(api: Api, report: dict, rows: list[Row], items: dict[int, dict], say) -> None:
    added = skipped = 0
    for row in rows:
        if not row.evidence:
            continue
        item = items[row.line]
        path = f"/items/{item['id']}/evidence/"
        have = _evidence_of(api, path)
        for evidence in row.evidence:
            digest = evidence.sha256
            if (digest and digest in have) or (evidence.url and evidence.url in have):
                skipped += 1
                continue
            key = idempotency_key(
                "evidence", report["id"], item["id"], digest or evidence.url, evidence.title
            )
            fields = {
                "title": evidence.title,
                "visibility": evidence.visibility,
                "effective_date": evidence.effective_date,
            }
            try:
                if evidence.path is None:
                    api.call(
                        "POST",
                        path,
                        retry=True,
                        json={**fields, "url": evidence.url},
                        headers={"Idempotency-Key": key},
                    )
                else:
                    media_type = mimetypes.guess_type(evidence.path.name)[0] or "application/octet-stream"
                    with evidence.path.open("rb") as handle:
                        api.call(
                            "POST",
                            path,
                            retry=True,
                            data=fields,
                            files={"file": (evidence.path.name, handle, media_type)},
                            headers={"Idempotency-Key": key},
                        )
            except Refused as refused:
                refused.context = f"line {row.line} ({row.name}), evidence {evidence.title!r}"
                raise
            added += 1
            say(f"  {row.name}: evidence “{evidence.title}” added.")
    if added or skipped:
        say(f"Evidence: {added} added, {skipped} already there.")


def _evidence_of(api: Api, path: str) -> set[str]:
    """The SHA-256 and URLs of what the item already has (nothing, if it cannot be listed)."""
    try:
        listed = api.every(path)
    except (Refused, KeyError):
        return set()
    return {entry.get(name) for entry in listed for name in ("sha256", "url") if entry.get(name)}


def submit(api: Api, report: dict, rows: list[Row], items: dict[int, dict], say) -> dict:
    try:
        submitted = api.call(
            "POST",
            f"/reports/{report['id']}/submit/",
            retry=True,
            headers={"Idempotency-Key": idempotency_key("submit", report["id"], report["revision"])},
        ).json()
    except Refused as refused:
        refused.rows = {f"#/items/{items[row.line]['node_id']}": row for row in rows}
        raise
    say(f"Submitted: {submitted['reference']} is {submitted['status']} (revision {submitted['revision']}).")
    return submitted


def explain(refused: Refused, err) -> None:
    """The server's words, each problem next to the CSV row it is about."""
    where = f", {refused.context}" if refused.context else ""
    err(f"Refused ({refused.status}{where}): {refused.problem.get('detail', '')}")
    for error in refused.errors:
        pointer = error.get("pointer", "")
        row = next(
            (
                r
                for prefix, r in refused.rows.items()
                if pointer == prefix or pointer.startswith(prefix + "/")
            ),
            None,
        )
        where = f"line {row.line} ({row.name})" if row else pointer
        field_ = pointer.split("/", 3)[3] if row and pointer.count("/") >= 3 else ""
        err(f"  {where}{': ' + field_ if field_ else ''}: {error.get('detail', '')}")


# --- the command ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None, *, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    def complain(text: str) -> None:
        print(text, file=err, flush=True)

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="See the module's docstring."
    )
    parser.add_argument("csv", type=Path, help="the report's items, one row each")
    parser.add_argument("--server", default=os.environ.get("PLEDGEPROOF_SERVER", "http://127.0.0.1:8000"))
    parser.add_argument(
        "--token", default=os.environ.get("PLEDGEPROOF_TOKEN"), help="default: $PLEDGEPROOF_TOKEN"
    )
    parser.add_argument("--organisation", required=True, help="the organisation's slug")
    parser.add_argument(
        "--period", required=True, help="the reporting period: its id or its label (e.g. 2026)"
    )
    parser.add_argument(
        "--framework", help="the framework key, when a label names periods of several (e.g. sbd)"
    )
    parser.add_argument(
        "--carry-forward", action="store_true", help="open a new draft from the last published answers"
    )
    parser.add_argument("--no-submit", action="store_true", help="push items and evidence, but do not submit")
    args = parser.parse_args(argv)
    if not args.token:
        complain(
            "No token: set PLEDGEPROOF_TOKEN or pass --token (make one with `manage.py create_api_token`)."
        )
        return 2

    api = Api(args.server, args.token)
    try:
        rows = read_rows(args.csv, today=datetime.date.today())
        period = find_period(api, args.period, args.framework)
        report = open_report(api, args.organisation, period, carry_forward=args.carry_forward, say=say)
        if report["status"] not in EDITABLE:
            complain(f"The report is {report['status']}: it takes changes only as a draft or when sent back.")
            return 1
        items = match_items(rows, api.every(f"/reports/{report['id']}/items/"))
        push_items(api, report, rows, items, say)
        push_evidence(api, report, rows, items, say)
        if args.no_submit:
            say("Not submitted (--no-submit).")
            return 0
        submit(api, report, rows, items, say)
    except CsvProblem as problem:
        complain(str(problem))
        return 2
    except Refused as refused:
        explain(refused, complain)
        return 1
    except requests.RequestException as exc:
        complain(f"Cannot reach {args.server}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
