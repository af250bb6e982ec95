"""The production web process: gunicorn with config/gunicorn.conf.py, DEBUG off, static files
collected, against the test database, as README "Running in production" runs it."""

import gzip
import http.client
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.builders import period_for, small_framework
from tests.config.support import ROOT, clean_env, free_port
from tests.factories import UserFactory
from tests.reports.public_builders import committed_org, published

pytestmark = pytest.mark.django_db(transaction=True)

START_TIMEOUT = 90
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front adds


def _database_url(tmp_path: Path) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{db['NAME']}"
    # The SQLite test database lives in this process's memory: gunicorn gets a copy of it on disk.
    copy = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    target.close()
    return f"sqlite:///{copy}"


class Server:
    def __init__(self, port: int, log: Path):
        self.port = port
        self.log = log

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


@pytest.fixture
def gunicorn(transactional_db, collected_static, tmp_path):
    port = free_port()
    env = clean_env(
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=_database_url(tmp_path),
        STATIC_ROOT=str(collected_static),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PLEDGEPROOF_SIGNING_KEY=str(settings.PLEDGEPROOF_SIGNING_KEY),
        PLEDGEPROOF_SIGNING_CERT=str(settings.PLEDGEPROOF_SIGNING_CERT),
        PLEDGEPROOF_SIGNING_CHAIN=str(settings.PLEDGEPROOF_SIGNING_CHAIN),
        PORT=str(port),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(port, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            try:
                if server.get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def published_site(transactional_db):
    framework = small_framework()
    period = period_for(framework)
    org = committed_org(framework, "Northwind Models", "northwind-models")
    reviewer = UserFactory(platform_role="reviewer")
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    return published(org, period, reviewer=reviewer, admin=admin)


def test_gunicorn_serves_pages_hashed_static_files_and_readiness(published_site, gunicorn):
    status, headers, body = gunicorn.get("/", HTTPS)
    assert status == 200, body[:2000]
    page = body.decode()
    assert "Northwind Models" in page
    assert "strict-transport-security" in headers

    css_url = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page).group(1)
    status, headers, css = gunicorn.get(css_url, {**HTTPS, "Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"]
    assert gzip.decompress(css) == (ROOT / "static" / "css" / "app.css").read_bytes()

    status, _headers, ready = gunicorn.get("/readyz")
    assert status == 200, ready
    assert {name: check["status"] for name, check in json.loads(ready)["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
    }


def test_without_the_proxy_header_gunicorn_redirects_to_https(gunicorn):
    status, headers, _body = gunicorn.get("/methodology/")

    assert status == 301
    assert headers["location"] == "https://127.0.0.1/methodology/"


def test_gunicorn_logs_each_request_with_its_id(gunicorn):
    _status, headers, _body = gunicorn.get("/methodology/", {**HTTPS, "X-Request-ID": "drill-7"})
    assert headers["x-request-id"] == "drill-7"

    deadline = time.monotonic() + 10
    while "request_id=drill-7" not in gunicorn.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    (line,) = [line for line in gunicorn.log.read_text().splitlines() if "request_id=drill-7" in line]
    # The access line: the request id both in its own field and at the end (from the response header).
    assert re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z INFO gunicorn\.access \[drill-7\] 127\.0\.0\.1 ", line)
    assert '"GET /methodology/ HTTP/1.1" 200 ' in line
