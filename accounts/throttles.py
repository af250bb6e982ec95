"""How often one client may fail to sign in or ask for password resets, and the 429 page.

django-axes pauses an email address + IP address pair after AXES_FAILURE_LIMIT failures. That
alone lets one address try a common password against many accounts (password spraying), so
failures are also counted per IP address whatever the email address, and password-reset
requests per IP address and per email address.

A count runs for one period from the first event it counts; the event that reaches the limit
pauses the client for a whole period from then, so "try again at 09:15" is exact. Counts and
pauses live in the "counters" cache (atomic add and incr; with several web processes set
CACHE_URL so that they share them). While that cannot be reached they are kept per process
(config.cache says why neither fail-open nor fail-closed).
"""

import datetime
import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

# Sign-in, reset and second-factor events worth an operator's attention (not report events,
# so not in the ledger).
security_log = logging.getLogger("pledgeproof.security")


def client_network(request: HttpRequest) -> str:
    """The client's IP address (REMOTE_ADDR, as axes uses); for IPv6 its /64 network.

    One client usually holds a whole IPv6 /64, and could otherwise start afresh at every
    address in it.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


@dataclass(frozen=True)
class Throttle:
    """At most `limit_setting` (a setting's name) events per `period` per client."""

    group: str
    limit_setting: str
    period: datetime.timedelta

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)

    def _cache_key(self, kind: str, request: HttpRequest, key: str | None) -> str:
        identity = client_network(request) if key is None else key
        digest = hashlib.sha256(f"{self.group}\0{identity}".encode()).hexdigest()
        return f"throttle:{kind}:{digest}"

    def wait(self, request: HttpRequest, key: str | None = None) -> int | None:
        """Seconds until the client may act again while it is paused, else None.

        `key` is what events are counted by (e.g. an email address); None for the client's IP
        address.
        """
        until = caches["counters"].get(self._cache_key("pause", request, key))
        if until is None:
            return None
        return max(1, math.ceil(until - time.time()))

    def count(self, request: HttpRequest, key: str | None = None) -> None:
        """Count one event; the one that reaches the limit pauses the client for a period."""
        seconds = int(self.period.total_seconds())
        count_key = self._cache_key("count", request, key)
        counters = caches["counters"]
        counters.add(count_key, 0, timeout=seconds)
        try:
            events = counters.incr(count_key)
        except ValueError:  # expired between add and incr
            counters.set(count_key, 1, timeout=seconds)
            events = 1
        if events >= self.limit:
            counters.add(self._cache_key("pause", request, key), time.time() + seconds, timeout=seconds)


SIGN_IN_FAILURES_PER_ADDRESS = Throttle(
    "sign-in-failures-per-address", "SIGN_IN_FAILURES_PER_ADDRESS", datetime.timedelta(minutes=15)
)
PASSWORD_RESETS_PER_ADDRESS = Throttle(
    "password-resets-per-address", "PASSWORD_RESETS_PER_ADDRESS", datetime.timedelta(hours=1)
)
PASSWORD_RESETS_PER_EMAIL = Throttle(
    "password-resets-per-email", "PASSWORD_RESETS_PER_EMAIL", datetime.timedelta(hours=1)
)


def sign_in_failure_count(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    """user_login_failed receiver: one more failure for the client's address (web and admin alike)."""
    if request is not None:
        SIGN_IN_FAILURES_PER_ADDRESS.count(request)


def wait_phrase(seconds: int) -> str:
    """'in 40 seconds', 'in 1 minute', 'in 15 minutes'."""
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def too_many_response(
    request: HttpRequest, *, heading: str, reason: str, explanation: str, retry_after: int, **context
) -> HttpResponse:
    """The 429 page: what was limited, when to try again (also as Retry-After), what else to do."""
    retry_at = timezone.localtime(timezone.now() + datetime.timedelta(seconds=retry_after))
    context = {
        "heading": heading,
        "reason": reason,
        "explanation": explanation,
        "retry_after": retry_after,
        "retry_at": retry_at,
        **context,
    }
    response = render(request, "accounts/too_many.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def sign_in_paused_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page for a paused sign-in, by address or by account."""
    address_wait = getattr(request, "sign_in_address_wait", None)
    if address_wait is not None:
        limit = settings.SIGN_IN_FAILURES_PER_ADDRESS
        when = wait_phrase(address_wait)
        return too_many_response(
            request,
            heading="Too many sign-in attempts",
            reason=f"Too many failed sign-in attempts from your network; try again {when}.",
            explanation=(
                f"After {limit} failed sign-ins from one network within 15 minutes, whatever the "
                "email addresses, signing in from it is paused to protect every account."
            ),
            retry_after=address_wait,
            show_password_reset=True,
        )
    # Every attempt during an axes lockout restarts its cool-off, so it is the whole of it now.
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
    username = (credentials or {}).get("username") or ""
    account = f" for {username}" if username else ""
    return too_many_response(
        request,
        heading="Too many sign-in attempts",
        reason=f"Too many failed sign-in attempts; try again {wait_phrase(cool_off)}.",
        explanation=(
            f"After {settings.AXES_FAILURE_LIMIT} failed attempts{account} from this network, "
            "signing in is paused to protect the account."
        ),
        retry_after=cool_off,
        show_password_reset=True,
        password_reset_lifts=True,
    )
