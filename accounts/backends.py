"""Sign-in rate limiting with django-axes, and per IP address (accounts.throttles).

Settings (config/settings.py) lock out an email address + IP address pair after 5 failed
sign-ins for 15 minutes, and an IP address after SIGN_IN_FAILURES_PER_ADDRESS failures within
15 minutes whatever the email addresses. The web sign-in, the admin sign-in and DRF's
authentication all pass the request to `authenticate()`, so they are all limited.
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied

from accounts.throttles import SIGN_IN_FAILURES_PER_ADDRESS


class LoginRateLimitBackend(AxesStandaloneBackend):
    """Axes' lockout check, tolerant of `authenticate()` calls that carry no request.

    Axes raises for those, which breaks Django's test client `login()` and scripts; without a
    request there is no client IP address to limit, so this backend stands aside and the
    credentials are still checked by ModelBackend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        wait = SIGN_IN_FAILURES_PER_ADDRESS.wait(request)
        if wait is not None:
            # Refused before the password is even checked, so a right one for a fresh account
            # fails too; axes' middleware then answers with AXES_LOCKOUT_CALLABLE's page.
            request.sign_in_address_wait = wait
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("Too many failed sign-ins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_username(request, credentials: dict | None) -> str | None:
    """The email address an attempt counts against, normalised like stored addresses.

    Without this, 'Ana@Example.org' and 'ana@example.org' would be counted separately.
    """
    if credentials:
        username = credentials.get("username")
    else:
        data = getattr(request, "data", None) or request.POST
        username = data.get("username")
    if not username:
        return username
    return str(username).strip().lower()
