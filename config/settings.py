"""Pledgeproof settings.

Everything that differs between a laptop and production is read from the environment here,
and nowhere else. A malformed value stops start-up with ImproperlyConfigured, naming the
variable, rather than running half-configured.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from config.converters import ID_MAX
from config.env import env_bool, env_choice, env_int, env_list, env_str
from config.log_format import logging_config
from config.proxy import proxy_networks
from config.storage import default_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent


# Off unless asked for: a server started with a forgotten variable must not show tracebacks,
# settings and SQL to the public. `make run` sets DEBUG=1 for local use.
DEBUG = env_bool("DEBUG", False)

# --- Secret key (issue 10): with DEBUG off, a missing or guessable key stops start-up ---------------
# Only for local development, when DEBUG is on and no key was given.
DEVELOPMENT_SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"
SECRET_KEY_HOW_TO = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'


def secret_key_weakness(key: str) -> str:
    """Why `key` is unfit for production, or "" if it is fit. The same rule as Django's own
    deploy check (security.W009), so a key that starts the server also passes check --deploy."""
    if not key:
        return "is not set"
    if key == DEVELOPMENT_SECRET_KEY:
        return "is the development key, which is published in the source code"
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"starts with {SECRET_KEY_INSECURE_PREFIX!r}, the mark of a key made for development"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is too short ({len(key)} of at least {SECRET_KEY_MIN_LENGTH} characters)"
    if (variety := len(set(key))) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"has too few different characters ({variety} of at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS})"
    return ""


SECRET_KEY = env_str("SECRET_KEY")
if not DEBUG and (_weakness := secret_key_weakness(SECRET_KEY)):
    # The key signs sessions, password-reset links and CSRF tokens: a guessable one lets anyone
    # sign in as anyone.
    raise ImproperlyConfigured(
        f"SECRET_KEY {_weakness}. With DEBUG off it must be a long random value "
        f"(at least {SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, "
        f"not starting with {SECRET_KEY_INSECURE_PREFIX!r}); {SECRET_KEY_HOW_TO}"
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
# --- end of secret key ---------------------------------------------------------------------------

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])


def trusted_origin_fault(origin: str) -> str:
    """Why `origin` cannot be a CSRF trusted origin, or "" if it can. Django compares origins as
    sent by browsers: a scheme and a host (a leading `*.` for subdomains), nothing after them."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not parts.hostname:
        return "has no host name"
    if parts.path not in ("",) or parts.query or parts.fragment or parts.username or parts.password:
        return "must be a scheme and a host only, with no path, query, user or trailing slash"
    return ""


# Origins (scheme and host) allowed to send forms besides the site's own address, e.g. when the
# proxy in front passes another Host than the browser's: https://pledgeproof.example.org
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if _fault := trusted_origin_fault(_origin):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS: {_origin!r} {_fault}; e.g. https://pledgeproof.example.org"
        )

# Addresses or networks of the reverse proxies in front (e.g. 10.0.0.0/8). From them, the client's
# address is read from X-Forwarded-For (config.proxy); from anyone else the header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
proxy_networks(TRUSTED_PROXIES)  # a malformed entry stops start-up, naming it

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    # Second factor (issue 10): authenticator apps (TOTP) and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "commitments",
    "reports",
    # Independent audits (issue 14): engagements, evidence requests, workpapers, findings, attestations.
    "audits",
    # The REST API (issue 15): personal tokens, idempotent retries, /api/v1/.
    "api",
    # Side effects of state changes (emails, PDF jobs, cache refresh), recorded in the change's
    # transaction and dispatched after commit (issue 12).
    "outbox",
    # Audit bundles (issue 16): one ZIP per engagement or report, checked offline by tools/verify_bundle.py.
    "bundles",
    # Fictional demo and scale data, with seed_demo, seed_scale and otp_code; the apps above never import it.
    "demo",
]

MIDDLEWARE = [
    # First: the client's address behind TRUSTED_PROXIES, for everything that counts per address.
    "config.proxy.ClientAddressMiddleware",
    # Every log line of the request carries its id, and the response says which it was.
    "config.request_id.RequestIdMiddleware",
    # /healthz and /readyz, before host validation and the HTTPS redirect (probes come direct).
    "config.health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with DEBUG off, straight after the HTTPS redirect, as WhiteNoise asks.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified once a second-factor code was accepted in this session.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Until the second factor is given (or set up, where the role requires one), only those
    # pages and sign-out open; after htmx, so that htmx requests get a redirect header.
    "accounts.second_factor.SecondFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

_database_url = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except Exception as exc:  # dj-database-url raises several kinds for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite waits instead of failing at once when another process holds the write lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# Public pages are cached until the next publication (reports.cache). The default memory cache
# is per process; with several web processes set CACHE_URL=redis://... so a publication
# invalidates every process at once.
# Losing the cache degrades the site, never breaks it (config.cache): public pages are rendered
# uncached, and rate limits count through the "counters" alias, which falls back to this process's
# memory while Redis cannot be reached. Short socket timeouts keep a Redis that swallows packets
# from holding every request.
_cache_url = env_str("CACHE_URL")
if not _cache_url:
    _shared_cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pledgeproof"}
elif _cache_url.startswith(("redis://", "rediss://", "unix://")):
    _shared_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _cache_url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
else:
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL, or unset.")
CACHES = {"default": _shared_cache, "counters": {"BACKEND": "config.cache.CountersCache"}}
RATELIMIT_USE_CACHE = "counters"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py collectstatic` copies every static file here; WhiteNoise serves them from it.
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Evidence and signed PDFs: MEDIA_ROOT, or an S3-compatible bucket with STORAGE_BACKEND=s3
    # (S3_BUCKET, S3_ENDPOINT_URL, S3_REGION...; config/storage.py).
    "default": default_storage_from_env(os.environ),
    # collectstatic stores each file under a name holding its hash, plus a gzip copy (and Brotli,
    # if the brotli package is installed); WhiteNoise sends hashed names with a one-year immutable
    # Cache-Control. With DEBUG on, pages link the plain names and WhiteNoise finds them in
    # STATICFILES_DIRS, so no collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "/media-not-served/"  # evidence is served only through permission-checked views

# Evidence uploads
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
# Document formats only, checked by content (commitments/sniffing.py). This list can only narrow them.
EVIDENCE_ALLOWED_MEDIA_TYPES = env_list(
    "EVIDENCE_ALLOWED_MEDIA_TYPES",
    ["application/pdf", "text/plain", "text/markdown", "text/csv", "application/json"],
)
# Raster images inside evidence PDFs: refused by default (evidence describes, it never depicts).
EVIDENCE_PDF_IMAGES = env_choice("EVIDENCE_PDF_IMAGES", "refuse", ("refuse", "allow"))
# Uploads larger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: with no broker configured, tasks run in-process so the default set-up needs no services.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
# At-least-once delivery: a message is acknowledged only when its task has finished (acks late),
# and put back on the queue when the process running it dies (reject on worker lost: a SIGKILL or
# the OOM killer), so a crash re-delivers the job instead of losing it. Every task therefore runs
# twice now and then and must be idempotent: rendering holds a claim on its artifact (reports.pdf.
# services), reminders record each one sent. Prefetch 1: a worker holds one unstarted message at
# most, so a killed worker strands only that one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits, in seconds, the one place they are set: past the soft limit a task gets an exception
# it can record (a PDF is marked failed with the reason), at the hard limit its process is killed.
# Every task has the default except PDF rendering, the longest job (reports.tasks). A soft limit
# is a tenth (at least 5 s) before the hard one.
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(5, CELERY_TASK_TIME_LIMIT // 10)
PDF_RENDER_TIME_LIMIT = env_int("PDF_RENDER_TIME_LIMIT", 660, minimum=10)
PDF_RENDER_SOFT_TIME_LIMIT = PDF_RENDER_TIME_LIMIT - max(5, PDF_RENDER_TIME_LIMIT // 10)
# An audit bundle (bundles.tasks) may render two PDFs per report and read every evidence file.
BUNDLE_BUILD_TIME_LIMIT = env_int("BUNDLE_BUILD_TIME_LIMIT", 1800, minimum=10)
BUNDLE_BUILD_SOFT_TIME_LIMIT = BUNDLE_BUILD_TIME_LIMIT - max(5, BUNDLE_BUILD_TIME_LIMIT // 10)
# A failed email of the pre-outbox task (commitments.tasks.email_send_task) is retried with
# exponential backoff up to this many seconds;
# meanwhile its worker holds the message unacknowledged.
EMAIL_RETRY_BACKOFF_MAX = 600
# Redis does not know a worker died: a message taken but never acknowledged (the whole worker was
# killed, or its machine lost) comes back only after this visibility timeout. Kombu's default is an
# hour; it must stay longer than the longest a worker holds a message (the longest job, or a retry's
# wait), or one still running would be delivered twice.
TASK_LONGEST_HOLD = max(
    CELERY_TASK_TIME_LIMIT, PDF_RENDER_TIME_LIMIT, BUNDLE_BUILD_TIME_LIMIT, EMAIL_RETRY_BACKOFF_MAX
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": TASK_LONGEST_HOLD + 60,
    # Publishing: see CELERY_BROKER_CONNECTION_TIMEOUT below.
    "socket_connect_timeout": 2,
    "socket_timeout": 3,
}
CELERY_TIMEZONE = TIME_ZONE
# Publishing a task happens in requests (after commit, from the outbox): a broker that is down or
# hangs must cost a request a few seconds, not forever (the default: no socket timeout). Refused:
# about 0.4 s; accepting connections but never answering: about 3 s (docs/benchmarks.md). The
# outbox row stays pending and is published again later. Workers' BRPOP answers within 1 s, well
# inside the socket timeout.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# How often the scheduler signs a checkpoint of the transparency log (idempotent: nothing new, no
# new checkpoint); a state change signs one as well.
PLEDGEPROOF_LOG_CHECKPOINT_SECONDS = env_int("PLEDGEPROOF_LOG_CHECKPOINT_SECONDS", 300, minimum=10)
# Every periodic job, in one place: `celery -A config beat` sends them to the workers in production;
# with no broker, `manage.py run_scheduler` (started by `make run`) runs the same entries in-process.
# Each job is idempotent and catches up after a missed run, so running it late or twice is harmless.
CELERY_BEAT_SCHEDULE = {
    "deadline-reminders": {"task": "commitments.tasks.reminders_send_due_task", "schedule": 60 * 60 * 6},
    # PDFs pending longer than PDF_RENDER_TIME_LIMIT (their worker died) are queued again.
    "pdf-sweep-stale": {"task": "reports.tasks.artifact_sweep_stale_task", "schedule": 60 * 5},
    # Retries side effects whose dispatch after commit failed (outbox.services).
    "outbox-dispatch-due": {"task": "outbox.tasks.outbox_dispatch_due_task", "schedule": 60},
    "log-checkpoint": {
        "task": "commitments.tasks.checkpoint_sign_task",
        "schedule": PLEDGEPROOF_LOG_CHECKPOINT_SECONDS,
    },
    # Responses kept for Idempotency-Key retries past their time (api/idempotency.py).
    "api-idempotency-purge": {"task": "api.tasks.idempotency_purge_task", "schedule": 60 * 60},
}
# Where run_scheduler remembers when each entry last ran, so a restart neither repeats nor skips one.
SCHEDULER_STATE_FILE = Path(env_str("SCHEDULER_STATE_FILE") or BASE_DIR / "var" / "scheduler.json")

# Signed PDF reports (issue 5). `manage.py init_signing_key` writes a private root and a
# report-signing certificate into PLEDGEPROOF_SIGNING_DIR for local use; in production point the
# three file settings at the real key, its certificate and the chain up to the published root.
PLEDGEPROOF_SIGNING_DIR = Path(env_str("PLEDGEPROOF_SIGNING_DIR") or BASE_DIR / "var" / "signing")
PLEDGEPROOF_SIGNING_KEY = Path(
    env_str("PLEDGEPROOF_SIGNING_KEY") or PLEDGEPROOF_SIGNING_DIR / "signing-key.pem"
)
PLEDGEPROOF_SIGNING_CERT = Path(
    env_str("PLEDGEPROOF_SIGNING_CERT") or PLEDGEPROOF_SIGNING_DIR / "signing-cert.pem"
)
# PEM bundle: any intermediates, then the self-signed root that verifiers trust.
PLEDGEPROOF_SIGNING_CHAIN = Path(
    env_str("PLEDGEPROOF_SIGNING_CHAIN") or PLEDGEPROOF_SIGNING_DIR / "chain.pem"
)
PLEDGEPROOF_SIGNING_KEY_PASSPHRASE = env_str("PLEDGEPROOF_SIGNING_KEY_PASSPHRASE")
# Optional RFC 3161 timestamp authority (issue 16): when set, every signature carries a timestamp
# from it, and a signing that gets none fails (and is retried). Its root certificate(s), a PEM file,
# let the verify page vouch for the timestamp and judge the certificates at its time.
PLEDGEPROOF_TSA_URL = env_str("PLEDGEPROOF_TSA_URL")
if PLEDGEPROOF_TSA_URL and not PLEDGEPROOF_TSA_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PLEDGEPROOF_TSA_URL must be an http(s) address, not {PLEDGEPROOF_TSA_URL!r}")
PLEDGEPROOF_TSA_ROOTS = env_str("PLEDGEPROOF_TSA_ROOTS")
# Queue the public PDF when a report is published or corrected.
PDF_RENDER_ON_PUBLISH = env_bool("PDF_RENDER_ON_PUBLISH", True)
# A rendering whose process died is started again (by re-delivery or the sweep) this many times in
# all; then the PDF is marked failed with the reason, and staff may retry it.
PDF_RENDER_MAX_ATTEMPTS = env_int("PDF_RENDER_MAX_ATTEMPTS", 3, minimum=1)
PDF_MAX_VERIFY_UPLOAD_BYTES = env_int("PDF_MAX_VERIFY_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
# Checking an uploaded PDF's signature costs real CPU: uploads to /verify/ from one IP address are
# limited to this many a minute (django-ratelimit, counting in the default cache; with several
# web processes, point CACHE_URL at Redis so that they share the count).
PDF_VERIFY_UPLOADS_PER_MINUTE = env_int("PDF_VERIFY_UPLOADS_PER_MINUTE", 10, minimum=1)

# Email: console by default; SMTP when EMAIL_HOST is set; files in EMAIL_FILE_PATH when that is.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif env_str("EMAIL_FILE_PATH"):
    # `make run` sets it: the demo's emails land as files there instead of burying its logins.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Absolute address of the site, for links in emails and on PDFs.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pledgeproof <no-reply@pledgeproof.example>")

# The transparency log (issue 13): an Ed25519 key signs checkpoints of the ledger's Merkle tree.
# `manage.py init_signing_key` creates it in PLEDGEPROOF_SIGNING_DIR for local use; in production
# point PLEDGEPROOF_LOG_KEY at the real one (PKCS#8 PEM). Witnesses pin its verifier key: never
# replace it casually. The origin names the log in every checkpoint (c2sp.org/tlog-checkpoint):
# by default the site's host and path with "/log", the address the log is served under.
PLEDGEPROOF_LOG_KEY = Path(env_str("PLEDGEPROOF_LOG_KEY") or PLEDGEPROOF_SIGNING_DIR / "log-key.pem")
PLEDGEPROOF_LOG_ORIGIN = env_str("PLEDGEPROOF_LOG_ORIGIN") or SITE_URL.split("://", 1)[-1] + "/log"
if not PLEDGEPROOF_LOG_ORIGIN or any(char.isspace() or char == "+" for char in PLEDGEPROOF_LOG_ORIGIN):
    raise ImproperlyConfigured(
        "PLEDGEPROOF_LOG_ORIGIN (or SITE_URL) must give a log name without spaces or '+'; "
        f"got {PLEDGEPROOF_LOG_ORIGIN!r}."
    )

# The REST API (issue 15; api/). Personal tokens (Bearer) for scripts, the session for the browsable
# API; every error as RFC 9457 problem details; cursor pagination; per-token rate limits.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.Authenticated", "api.permissions.TokenScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "api.renderers.BrowsableRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# A JSON body larger than this is refused (413) before it is read; uploads are multipart and
# bounded by EVIDENCE_MAX_UPLOAD_BYTES.
API_MAX_JSON_BYTES = env_int("API_MAX_JSON_KB", 1024, minimum=1) * 1024
# Requests per token (or signed-in person) and per anonymous address; DRF's "N/second|minute|hour|day".
API_RATE_TOKEN = env_str("API_RATE_TOKEN") or "600/minute"
API_RATE_ANONYMOUS = env_str("API_RATE_ANONYMOUS") or "120/minute"
# How long a response to an Idempotency-Key is kept for retries.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "Pledgeproof API",
    "DESCRIPTION": (
        "Self-reporting, review, verification and independent audit of AI child-safety commitments. "
        "Authenticate with a personal API token (`Authorization: Bearer pp_…`), made and revoked on "
        "your account's API tokens page. Every error is an RFC 9457 problem (`application/problem+json`; "
        "the kinds are listed at /api/problems/). Lists are cursor-paginated (`next`/`previous`). "
        "Updates honour `If-Match` with the `ETag` a GET returned (412 if it changed meanwhile); "
        "submissions and uploads honour `Idempotency-Key`."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.header_problems_hook",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        # Fields of the same name with other choices elsewhere ("kind" of a document, "status" of a report).
        "FindingKindEnum": "commitments.vocabulary.FindingKind",
        "OpinionEnum": "commitments.vocabulary.Opinion",
        "RequestStatusEnum": "commitments.vocabulary.RequestStatus",
        "ReportStatusEnum": "commitments.vocabulary.ReportStatus",
        "ImplementationStatusEnum": "commitments.vocabulary.ImplementationStatus",
    },
    # <id:…> (config/converters.py): the numbers a row's id can be; a larger one does not match.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": ID_MAX}},
}

AUTHENTICATION_BACKENDS = [
    # Refuses sign-in while an email address + IP pair is locked out; must come first.
    "accounts.backends.LoginRateLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in rate limiting (django-axes): 5 failures for one email address from one IP address
# lock that pair out for 15 minutes; the admin login is covered too.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the field name of Django's AuthenticationForm
AXES_USERNAME_CALLABLE = "accounts.backends.login_username"
AXES_RESET_ON_SUCCESS = True
# One 429 page, with Retry-After, for this lockout and the per-address one below.
AXES_LOCKOUT_CALLABLE = "accounts.throttles.sign_in_paused_response"
AXES_HTTP_RESPONSE_CODE = 429

# Sign-in and second factor (issue 10). Counted in the default cache (django-ratelimit); with
# several web processes set CACHE_URL so that they share the counts.
# Failed sign-ins from one IP address, whatever the email addresses, within 15 minutes (password
# spraying); the address is then paused until those 15 minutes end.
SIGN_IN_FAILURES_PER_ADDRESS = env_int("SIGN_IN_FAILURES_PER_ADDRESS", 30, minimum=1)
# Password-reset requests an hour: per email address (beyond it nothing is sent, and the page is
# the same as when a link was sent) and per IP address (beyond it a 429 page).
PASSWORD_RESETS_PER_EMAIL = env_int("PASSWORD_RESETS_PER_EMAIL", 5, minimum=1)
PASSWORD_RESETS_PER_ADDRESS = env_int("PASSWORD_RESETS_PER_ADDRESS", 20, minimum=1)
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Pledgeproof")
# The admin site never shows anyone's authenticator secret or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Browser security headers (issue 10) ------------------------------------------------------------
# Content-Security-Policy on every page (django-csp): scripts and styles only from our own static
# files, no inline code of any kind, so that markup slipped into a page (a narrative, a file name)
# cannot run or restyle anything. A response that sets its own policy keeps it (evidence downloads
# send "default-src 'none'; sandbox"). img-src also accepts data: URLs: an image runs no code, and a
# generated one (a QR code, say) may be inlined. The charts are inline <svg> with no style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page uses, switched off (config.middleware.PermissionsPolicyMiddleware).
_UNUSED_FEATURES = (
    "accelerometer",
    "camera",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "payment",
    "usb",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in _UNUSED_FEATURES)
# Only server-side code reads the cookies: htmx sends the CSRF token from the page, not the cookie.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# --- end of browser security headers ------------------------------------------------------------

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every line has time, level, logger and request id (config.log_format); LOG_FORMAT=json for a
# log collector, text (the default) for people.
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")).upper()
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = logging_config(
    log_format=LOG_FORMAT,
    level=LOG_LEVEL,
    extra_loggers={
        # WeasyPrint reports each rendering step at INFO; only its warnings (e.g. refused URLs) matter.
        "weasyprint.progress": {"level": "WARNING"},
        # Django's own handlers (its plain console with DEBUG on, runserver's request lines) give
        # way to the one above, so that every line has the same format, and none is printed twice.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # With no broker, tasks run inside the request or command that queued them: a line per
        # task that succeeded says nothing the caller does not; failures still show.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
)
