"""gunicorn settings for the web process: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be changed from the environment (README, "Running in production"):

- GUNICORN_BIND, else 0.0.0.0:$PORT (PORT defaults to 8000): where to listen.
- WEB_CONCURRENCY: worker processes; default 2 x CPUs + 1, at most 8 (each holds its own
  database connection and memory; raise it on a large machine with enough PostgreSQL connections).
- GUNICORN_THREADS: threads per worker (default 1; more suits slow clients less than more workers).
- GUNICORN_TIMEOUT: seconds a request may take before its worker is restarted (default 60: checking
  an uploaded PDF's signature or an evidence file of 25 MB takes seconds; PDFs are rendered by
  the Celery worker, not here).
- FORWARDED_ALLOW_IPS: addresses of the TLS proxy in front (default 127.0.0.1,::1). Only requests
  from them may tell gunicorn the original scheme (X-Forwarded-Proto). Django itself reads
  X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER, so the proxy must set that header on every
  request and drop any the client sent. "*" trusts every address: only when nothing but the proxy
  can reach gunicorn.
- LOG_FORMAT (text or json) and LOG_LEVEL, as for Django: gunicorn's own lines use the same format.

The access log line names the request id (X-Request-ID, set by config.request_id), so one
request can be followed from the proxy's log through gunicorn's to the application's.
"""

import multiprocessing
import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_int
from config.log_format import FORMATTERS, logging_config


def _env(read, *args, **kwargs):
    """A setting read as Django's are; a bad value stops gunicorn with the message alone, no traceback."""
    try:
        return read(*args, **kwargs)
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from None


def _int(name: str, default: int, minimum: int = 1) -> int:
    return _env(env_int, name, default, minimum=minimum)


bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"]
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
# A worker asked to stop (a deploy, a restart) finishes the requests it has for this long.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a proxy that keeps connections open to gunicorn; a little longer than its idle timeout.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Workers are replaced now and then, so that a slow leak (a big PDF parsed, say) never builds up.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = 100
# The worker heartbeat on a memory file system: a slow disk cannot make a healthy worker look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Read by gunicorn itself when unset here; repeated for the reader.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No control socket: nothing should manage the web process but its supervisor.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
# Client, request line, status, bytes, duration in ms, referrer, user agent, request id.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
_log_format = _env(env_choice, "LOG_FORMAT", "text", tuple(FORMATTERS))
logconfig_dict = logging_config(
    log_format=_log_format,
    level=os.environ.get("LOG_LEVEL", "info").strip().upper() or "INFO",
    extra_loggers={
        "gunicorn.error": {"level": "INFO", "propagate": True},
        "gunicorn.access": {"level": "INFO", "propagate": True},
    },
)
