"""A production-style run, end to end: gunicorn with DEBUG=0, a Celery worker and beat, PostgreSQL,
Redis and S3-compatible storage (moto in server mode), the demo data, then a report published
through the web pages by the program admin (password and authenticator code) and its public PDF
rendered by the worker into the bucket.

    .venv/bin/python bench/production_drill.py [--keep]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379 (databases 7
and 8 are flushed). It creates the database `pledgeproof_drill` (dropped first) and a scratch folder;
`--keep` leaves the processes' logs there. Prints each step and exits 1 at the first that fails.
This is a drill, not a test: the suite tests each piece; this shows they run together.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE = "pledgeproof_drill"
BUCKET = "pledgeproof-drill"
ADMIN = "admin@demo.pledgeproof.test"
PUBLISHABLE = "Bluefin Labs"  # the demo organisation whose report is verified, not yet published


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def step(message: str) -> None:
    print(f"* {message}", flush=True)


def fail(message: str) -> None:
    print(f"FAILED: {message}", flush=True)
    raise SystemExit(1)


class Browser:
    """Just enough of a browser over plain HTTP: cookies kept by hand (the site marks them Secure,
    as it does behind a TLS proxy, which X-Forwarded-Proto stands for here)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> tuple[int, dict, bytes]:
        self.request("GET", path)  # the form's page sets the CSRF cookie
        return self.request("POST", path, form)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder with the logs")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="pledgeproof-drill-"))
    web_port, s3_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": hashlib.sha256(os.urandom(32)).hexdigest() + "-drill-Kx9",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "CACHE_URL": "redis://127.0.0.1:6379/7",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/8",
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "drill",
        "AWS_SECRET_ACCESS_KEY": "drill-secret",
        "STATIC_ROOT": str(scratch / "static"),
        "PLEDGEPROOF_SIGNING_DIR": str(scratch / "signing"),
        "SCHEDULER_STATE_FILE": str(scratch / "scheduler.json"),
        "PORT": str(web_port),
        "WEB_CONCURRENCY": "2",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    env.pop("PLEDGEPROOF_TEST_REDIS_URL", None)
    processes: list[subprocess.Popen] = []

    def start(name: str, command: list[str]) -> subprocess.Popen:
        log = (scratch / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        processes.append(process)
        return process

    def manage(*command: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            fail(f"manage.py {' '.join(command)}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    try:
        step(f"scratch folder {scratch}; database {DATABASE}; web on :{web_port}; S3 on :{s3_port}")
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
        subprocess.run(["redis-cli", "-n", "7", "flushdb"], check=True, capture_output=True)
        subprocess.run(["redis-cli", "-n", "8", "flushdb"], check=True, capture_output=True)
        start("s3", [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)])
        wait_for_port(s3_port)
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=env["S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="drill",
            aws_secret_access_key="drill-secret",
        )
        s3.create_bucket(Bucket=BUCKET)

        step("migrate, load_frameworks, init_signing_key, collectstatic, seed_demo --force")
        manage("migrate", "--noinput")
        manage("load_frameworks")
        manage("init_signing_key")
        manage("collectstatic", "--noinput")
        manage("seed_demo", "--force")

        step("gunicorn (DEBUG=0), a Celery worker and Celery beat")
        start("web", [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"])
        start("worker", [PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency=1"])
        start("beat", [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "info",
                       "-s", str(scratch / "beat-schedule")])  # fmt: skip
        wait_for_port(web_port)
        browser = Browser(web_port)

        status, _, page = browser.get("/")
        if status != 200:
            fail(f"/ answered {status}")
        stylesheets = re.findall(rb'href="(/static/[^"]+\.css)"', page)
        if not stylesheets or not all(b"." in name.rsplit(b"/", 1)[-1][:-4] for name in stylesheets):
            fail(f"/ links no hashed stylesheet: {stylesheets}")
        status, headers, _ = browser.get(stylesheets[0].decode())
        if status != 200 or "immutable" not in headers.get("cache-control", ""):
            fail(f"{stylesheets[0].decode()} answered {status} {headers.get('cache-control')}")
        step(f"/ 200, {stylesheets[0].decode()} 200 ({headers['cache-control']})")

        status, _, body = browser.get("/readyz")
        if status != 200:
            fail(f"/readyz answered {status}: {body.decode()}")
        checks = json.loads(body)["checks"]
        step("/readyz 200: " + ", ".join(f"{name} {check['status']}" for name, check in checks.items()))

        step(f"sign in as {ADMIN} (password, then the authenticator code)")
        status, headers, _ = browser.post(
            "/accounts/login/", {"username": ADMIN, "password": "pledgeproof-demo"}
        )
        if status != 302:
            fail(f"sign-in answered {status}")
        code = manage("shell", "--no-imports", "-c", ADMIN_CODE).strip()
        status, headers, page = browser.post("/accounts/second-factor/", {"code": code})
        if status != 302:
            errors = re.findall(rb'class="errorlist[^>]*>(.*?)</ul>', page, re.S)
            fail(f"the second factor answered {status}: {errors}")

        report_id = int(manage("shell", "--no-imports", "-c", PUBLISHABLE_REPORT_ID).strip())
        step(f"publish {PUBLISHABLE}'s verified report #{report_id} through /program/")
        status, headers, _ = browser.post(f"/program/reports/{report_id}/publish/", {})
        if status != 302:
            fail(f"publishing answered {status}")
        deadline = time.monotonic() + 180
        while True:
            state = json.loads(manage("shell", "--no-imports", "-c", ARTIFACT_STATE % report_id))
            if state["status"] == "ready":
                break
            if state["status"] == "failed" or time.monotonic() > deadline:
                fail(f"the public PDF did not become ready: {state}")
            time.sleep(2)
        objects = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        stored = [key for key in objects if key.endswith(state["storage_name"])]
        if not stored:
            fail(f"the PDF {state['storage_name']} is not in the bucket")
        step(f"public PDF rendered by the worker: {state['document_id']}, in the bucket as {stored[0]}")
        status, _, body = browser.get(state["public_url"])
        if status != 200 or hashlib.sha256(body).hexdigest() != state["sha256"]:
            fail(f"the public PDF download answered {status}")
        step(f"downloaded from the public page: {len(body)} bytes, SHA-256 matches")
        print(manage("verify_ledger").strip())
        print("Production drill passed.")
    finally:
        for process in reversed(processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with_suppress_kill(process)
        if args.keep:
            print(f"Logs kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def with_suppress_kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    fail(f"nothing listens on port {port} after {timeout} s")


# The demo's program admin has an authenticator (demo.world); `otp_code` prints its code only with
# DEBUG on, so the drill asks the same function it uses.
ADMIN_CODE = f"""
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.second_factor import totp_code_now
print(totp_code_now(TOTPDevice.objects.get(user__email={ADMIN!r}, confirmed=True)))
"""

PUBLISHABLE_REPORT_ID = f"""
from commitments.models import ProgressReport
print(ProgressReport.objects.filter(organisation__name={PUBLISHABLE!r}, status="verified").latest("pk").pk)
"""

ARTIFACT_STATE = """
import json
from reports.models import ReportArtifact
artifact = ReportArtifact.objects.filter(report_id=%d, kind="public").order_by("-pk").first()
from django.urls import reverse
print(json.dumps({"status": artifact.status if artifact else "none",
                  "document_id": artifact.document_id if artifact else "",
                  "storage_name": artifact.storage_name if artifact else "",
                  "sha256": artifact.sha256 if artifact else "",
                  "public_url": reverse("verify:document", args=[artifact.document_id]) if artifact else ""}))
"""

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
