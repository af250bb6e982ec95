"""`/healthz` and `/readyz` for the orchestrator or load balancer in front.

- `/healthz`: the process is up and answering (touches nothing else), so a stuck process can be
  restarted without a database outage restarting every process.
- `/readyz`: every service a request may need answers: the database, the cache, the Celery broker
  (when one is configured) and file storage (commitments.evidence_storage.storage_check: a
  folder takes a file; a bucket answers a listing, since a write every few seconds would pile up
  versions in a versioned bucket). JSON with each check's status and time in milliseconds; 200 when all
  pass, 503 otherwise, so traffic goes elsewhere until they do.

Both are answered by a middleware near the top of MIDDLEWARE, before host validation and the HTTPS
redirect: probes reach a process directly, by its own address and over plain HTTP. They reveal
nothing an outsider could use: a failed check names the kind of error only (the full message, which
may hold host names, goes to the log), and they are never cached.
"""

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from commitments.evidence_storage import storage_check

log = logging.getLogger("pledgeproof.health")

BROKER_TIMEOUT_SECONDS = 2


def database_check() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_check() -> None:
    # Straight to the cache, past config.cache's retry pause: this is how the pause is known to end.
    cache = caches["default"]
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def broker_check() -> None:
    from config.celery import app

    with app.connection_for_write(
        url=settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS
    ) as connection:
        # One attempt and one immediate retry: a probe must answer quickly, and is repeated anyway.
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=BROKER_TIMEOUT_SECONDS
        )


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks = {"database": database_check, "cache": cache_check}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = broker_check
    checks["storage"] = storage_check
    return checks


def readiness() -> tuple[bool, dict[str, dict]]:
    results = {}
    for name, check in readiness_checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure of any service means not ready, and says which
            log.warning("Readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            result = {"status": "fail", "error": type(exc).__name__}
        else:
            result = {"status": "ok"}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return all(r["status"] == "ok" for r in results.values()), results


def healthz_response() -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz_response() -> HttpResponse:
    ready, checks = readiness()
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)


PROBES = {"/healthz": healthz_response, "/readyz": readyz_response}


class HealthProbeMiddleware:
    """Answers GET/HEAD /healthz and /readyz before anything else can redirect or refuse them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe()
        add_never_cache_headers(response)
        response["X-Content-Type-Options"] = "nosniff"
        return response
