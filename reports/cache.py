"""Cache of the public pages, invalidated by a generation number bumped on every publication.

Page fragments are stored under a key that includes the current generation, so a publication
or correction makes every cached public page stale at once without finding and deleting keys.
The bump runs on commit: a rolled-back publication must not invalidate anything, and a page
rendered between the bump and the commit must not be cached under the new generation.

With the default per-process memory cache, other processes see a bump only through their own
entries' timeout; production with several processes sets CACHE_URL to a shared Redis.
"""

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "public:generation"
PAGE_TIMEOUT = 300  # seconds; a backstop, publications invalidate at once through the generation

T = TypeVar("T")


def public_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # Start from the clock, not 1: if the counter is evicted, a restart from 1 could meet
        # pages cached under an old generation with the same number.
        cache.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        generation = cache.get(GENERATION_KEY, 0)
    return generation


def public_generation_bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no counter yet: starting one makes every earlier key unreachable
        public_generation()


def public_cache_invalidate_on_commit() -> None:
    transaction.on_commit(public_generation_bump)


def public_cached(name: str, parts: dict[str, str], build: Callable[[], T]) -> T:
    """`build()`, or what it returned for the same page and parameters since the last publication."""
    digest = hashlib.sha256(repr(sorted(parts.items())).encode()).hexdigest()[:32]
    key = f"public:page:{public_generation()}:{name}:{digest}"
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, PAGE_TIMEOUT)
    return found
