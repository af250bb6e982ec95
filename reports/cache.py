"""Cache of the public pages, invalidated by a generation number bumped on every publication.

Page fragments are stored under a key that includes the current generation, so a publication
or correction makes every cached public page stale at once without finding and deleting keys.
The bump runs on commit (an outbox row, outbox.services): a rolled-back publication must not
invalidate anything, and a page rendered between the bump and the commit must not be cached
under the new generation.

With the default per-process memory cache, other processes see a bump only through their own
entries' timeout; production with several processes sets CACHE_URL to a shared Redis.

Two layers use it. Anonymous visitors get whole responses (bytes and headers, plus a gzip copy)
keyed by the full path, so a hit renders no template at all; that is safe because a page
rendered for an anonymous visitor holds nothing of the visitor (no CSRF token, no name, no
messages), and it is checked on every store. Signed-in users always get a fresh render around
the cached page fragments, which are rendered without the request.

When the cache cannot be reached, pages are rendered for every request instead (config.cache):
slower, never an error page. The generation bump itself still raises then, so that whoever
dispatches it after a publication knows to try again.
"""

import gzip
import hashlib
import re
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

from config.cache import with_shared_cache
from outbox.models import OutboxKind
from outbox.services import record

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
    """Bump the generation once the current transaction commits, through the outbox: a bump
    that fails (the cache unreachable) is retried instead of lost."""
    record(OutboxKind.PUBLIC_CACHE_BUMP, {})


def public_cached(name: str, parts: dict[str, str], build: Callable[[], T]) -> T:
    """`build()`, or what it returned for the same page and parameters since the last publication."""
    generation = _generation_if_reachable()
    if generation is None:
        return build()
    digest = hashlib.sha256(repr(sorted(parts.items())).encode()).hexdigest()[:32]
    key = f"public:page:{generation}:{name}:{digest}"
    found = with_shared_cache(lambda: cache.get(key), during="reading a public page", otherwise=_none)
    if found is None:
        found = build()
        _store(lambda: cache.set(key, found, PAGE_TIMEOUT))
    return found


def _generation_if_reachable() -> int | None:
    return with_shared_cache(public_generation, during="reading the pages' generation", otherwise=_none)


def _none() -> None:
    return None


def _store(write: Callable[[], object]) -> None:
    with_shared_cache(write, during="storing a public page", otherwise=_none)


_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Response headers a view may set that are safe to replay to any anonymous visitor.
_REPLAYED_HEADERS = ("Content-Type", "Content-Language")


def public_response_cached(
    request: HttpRequest, render: Callable[[], HttpResponse], *, query: Iterable[str] = ()
) -> HttpResponse:
    """`render()`, or for an anonymous GET the whole response it gave for the same full path
    since the last publication, served without rendering anything.

    Signed-in users, visitors with messages waiting to be shown, and URLs with query parameters
    other than `query` (each at most once) always get `render()`.
    """
    query_string = request.META.get("QUERY_STRING", "")
    if query_string and not _plain_query(request, query):
        return render()
    if not _anonymous_without_messages(request):
        return render()
    generation = _generation_if_reachable()
    if generation is None:
        return render()
    # The path and query string as sent: the full path, without the cost of re-quoting it.
    digest = hashlib.sha256(f"{request.path}?{query_string}".encode()).hexdigest()[:32]
    key = f"public:response:{generation}:{digest}"
    encoding = "gzip" if _ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else "identity"
    # Each encoding is its own entry, so a gzip hit does not unpickle the uncompressed body too.
    found = with_shared_cache(
        lambda: cache.get(f"{key}:{encoding}"), during="reading a public page", otherwise=_none
    )
    if found is None:
        response = render()
        if not _replayable(request, response):
            return response
        variants = _variants(response)
        entries = {f"{key}:{name}": value for name, value in variants.items()}
        _store(lambda: cache.set_many(entries, PAGE_TIMEOUT))
        found = variants[encoding]
    body, headers = found
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MATCH" in request.META:
        not_modified = get_conditional_response(request, etag=headers["ETag"])
        if not_modified is not None:
            not_modified["Vary"] = headers["Vary"]
            return not_modified
    return HttpResponse(body, headers=headers)


def _variants(response: HttpResponse) -> dict[str, tuple[bytes, dict[str, str]]]:
    """The page's body and headers as sent, uncompressed and gzipped."""
    headers = {name: response[name] for name in _REPLAYED_HEADERS if response.has_header(name)}
    # What the client accepts decides the encoding; its cookies decide whether it gets this at all.
    headers["Vary"] = "Accept-Encoding, Cookie"
    body = response.content
    etag = hashlib.sha256(body).hexdigest()[:32]
    return {
        "identity": (body, {**headers, "ETag": f'"{etag}"'}),
        # mtime=0: the same page compresses to the same bytes in every process.
        "gzip": (
            gzip.compress(body, compresslevel=6, mtime=0),
            {**headers, "ETag": f'"{etag}-gzip"', "Content-Encoding": "gzip"},
        ),
    }


def _plain_query(request: HttpRequest, query: Iterable[str]) -> bool:
    # Every other spelling of a page (made-up or repeated parameters) would be one more entry.
    return all(name in query and len(values) == 1 for name, values in request.GET.lists())


def _anonymous_without_messages(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    # Users are signed in through the session alone (AuthenticationMiddleware), so a request
    # without a session cookie is anonymous without loading the user; replayed responses vary
    # on Cookie themselves for that reason.
    if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
        return False
    # Counting loads waiting messages without marking them read; with no messages cookie it
    # reads nothing, not even the session.
    return not len(messages.get_messages(request))


def _replayable(request: HttpRequest, response: HttpResponse) -> bool:
    """Only a plain page that carries nothing of this visitor may be replayed to others."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not response.has_header("Vary")
        # get_token() ran: the page holds a CSRF token, which is per visitor.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not getattr(getattr(request, "session", None), "modified", False)
    )
