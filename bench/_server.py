"""What the benchmarks that drive a real server share: its environment, a free port, waiting until it
answers, the child process that reads facts in-process, and sharing requests among clients."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT = 30


def server_environment(work: Path) -> dict[str, str]:
    """The server's environment: the seeded SQLite database and media in `work`, DEBUG off, the
    bench-only URLconf, the default per-process memory cache (as a single server runs), no broker."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        MEDIA_ROOT=str(work / "media"),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),  # DEBUG=0 refuses a weak key
        ALLOWED_HOSTS=f"{HOST},localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("CACHE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def facts_in_process(env: dict[str, str], code: str) -> dict:
    """Run `code` in a child Python process with `env`; the JSON object its last line prints."""
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until_answering(server: subprocess.Popen, probe: Callable[[], object]) -> None:
    """Call `probe` (a request to the server) until it succeeds; raise if the server exits or is slow."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            probe()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT} s")


def shares(count: int, parts: int) -> list[int]:
    """`count` split into at most `parts` non-empty shares that differ by one at most."""
    return [share for n in range(parts) if (share := count // parts + (1 if n < count % parts else 0))]
