"""What happens when the shared cache (Redis, CACHE_URL) cannot be reached: the site degrades, it
never breaks. (Issue 12, item 7.)

The cache holds two kinds of things, and each degrades its own way:

- **Copies of public pages** (reports.cache). Without the cache they are rendered for every
  request: slower, never wrong. They are not kept in this process's memory meanwhile, because a
  publication in another process could not invalidate them there.
- **Rate-limit counts** (sign-in failures per address, password resets, PDF uploads to /verify/).
  These go through the "counters" cache alias, `CountersCache` below: the shared cache while it
  answers, this process's memory while it does not. The limits thus stay in force during an outage,
  only per process: with P processes a client may make up to P times the limit. That was chosen over
  the two alternatives:
  *fail closed* (refuse every sign-in, reset and upload) would turn a cache outage into a sign-in
  outage for everyone, which an attacker could then cause by overloading Redis; *fail open* (no
  limit at all) would hand password spraying a window exactly when operators are busy elsewhere.
  django-axes' lockout of an email address + IP address pair lives in the database and holds
  whatever the cache does.

When a call fails, the cache is not asked again for `RETRY_AFTER_SECONDS` (a Redis that swallows
packets would otherwise cost every request its socket timeout), and a warning names the error at
most once every `WARN_EVERY_SECONDS` per process, with how many failures it stands for, so an
outage is visible in the log without flooding it.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

log = logging.getLogger("pledgeproof.cache")

# What an unreachable or failing Redis raises through Django's RedisCache (ConnectionError and
# TimeoutError are RedisErrors; OSError for a socket error that escapes redis-py's wrapping).
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
RETRY_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0

T = TypeVar("T")


class _Outage:
    """This process's view of the shared cache: when to try it again, and when to warn next."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retry_at = 0.0
        self.next_warning_at = 0.0
        self.unwarned = 0

    def reset(self) -> None:
        with self._lock:
            self.retry_at = self.next_warning_at = 0.0
            self.unwarned = 0


outage = _Outage()


def shared_cache_usable() -> bool:
    """False for a few seconds after the shared cache failed, so callers go without it at once."""
    return time.monotonic() >= outage.retry_at


def shared_cache_failed(exc: BaseException, *, during: str) -> None:
    """Note a failed cache call: stop asking for a while, and warn, at most once a minute."""
    now = time.monotonic()
    with outage._lock:
        outage.retry_at = now + RETRY_AFTER_SECONDS
        outage.unwarned += 1
        if now < outage.next_warning_at:
            return
        count, outage.unwarned = outage.unwarned, 0
        outage.next_warning_at = now + WARN_EVERY_SECONDS
    log.warning(
        "Cache unreachable (%s: %s) while %s; public pages are rendered uncached and rate limits "
        "counted in this process's memory until it answers again (%d failure%s since the last warning; "
        "next warning at most in %d s).",
        type(exc).__name__,
        exc,
        during,
        count,
        "" if count == 1 else "s",
        WARN_EVERY_SECONDS,
    )


def with_shared_cache(call: Callable[[], T], *, during: str, otherwise: Callable[[], T]) -> T:
    """`call()` against the shared cache, or `otherwise()` when the cache is down."""
    if not shared_cache_usable():
        return otherwise()
    try:
        return call()
    except CACHE_ERRORS as exc:
        shared_cache_failed(exc, during=during)
        return otherwise()


class CountersCache(BaseCache):
    """The "counters" alias: counts kept in the "default" cache, or in this process's memory while
    that cannot be reached (see the module's docstring for why neither fail-open nor fail-closed).

    Only the operations the rate limits use are provided; each takes the same arguments as Django's.
    """

    shared_alias = "default"

    def __init__(self, location: str, params: dict[str, Any]):
        super().__init__(params)
        self._local = LocMemCache(f"pledgeproof-counters-{location}", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

    def _either(self, name: str, *args: Any, **kwargs: Any) -> Any:
        shared = caches[self.shared_alias]
        return with_shared_cache(
            lambda: getattr(shared, name)(*args, **kwargs),
            during=f"counting a rate limit ({name})",
            otherwise=lambda: getattr(self._local, name)(*args, **kwargs),
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default=default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout=timeout, version=version)

    def incr(self, key, delta=1, version=None):
        return self._either("incr", key, delta=delta, version=version)

    def delete(self, key, version=None):
        return self._either("delete", key, version=version)

    def clear(self):
        self._local.clear()
        return self._either("clear")
