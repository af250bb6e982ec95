"""How often one client may fail to sign in or ask for password resets, and the 429 page.

django-axes pauses an email address + IP address pair after AXES_FAILURE_LIMIT failures. That
alone lets one address try a common password against many accounts (password spraying), so
failures are also counted per IP address whatever the email address, and password-reset
requests per IP address and per email address. The counts live in the default cache through
django-ratelimit, as the /verify/ upload limit's do: fixed windows, so a paused client knows
exactly when it may try again.
"""

import datetime
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

# Sign-in, reset and second-factor events worth an operator's attention (not report events,
# so not in the ledger).
security_log = logging.getLogger("pledgeproof.security")


@dataclass(frozen=True)
class Throttle:
    """At most `limit_setting` (a setting's name) events per `period` per client key."""

    group: str
    limit_setting: str
    period: datetime.timedelta

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)

    def _usage(self, request: HttpRequest, key: str | None, *, increment: bool) -> dict | None:
        rate = f"{self.limit}/{int(self.period.total_seconds())}s"
        ratelimit_key = "ip" if key is None else (lambda _group, _request: key)
        return get_usage(request, group=self.group, key=ratelimit_key, rate=rate, increment=increment)

    def reached(self, request: HttpRequest, key: str | None = None) -> int | None:
        """Seconds until the window ends if `limit` events were already counted, else None."""
        usage = self._usage(request, key, increment=False)
        if usage is None or usage["count"] < usage["limit"] and not usage["should_limit"]:
            return None
        return max(usage["time_left"], 1)

    def count(self, request: HttpRequest, key: str | None = None) -> int | None:
        """Count one event; seconds until the window ends if it went over the limit, else None.

        `key` is what the events are counted by (e.g. an email address); the client's IP address
        (IPv6 by /64, as django-ratelimit groups them) when None.
        """
        usage = self._usage(request, key, increment=True)
        if usage is None or not usage["should_limit"]:
            return None
        return max(usage["time_left"], 1)


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
