"""Sign-in rate limiting with django-axes.

Settings (config/settings.py) lock out an email address + IP address pair after 5 failed
sign-ins for 15 minutes. The web sign-in, the admin sign-in and DRF's authentication all pass
the request to `authenticate()`, so they are all limited.
"""

from axes.backends import AxesStandaloneBackend


class LoginRateLimitBackend(AxesStandaloneBackend):
    """Axes' lockout check, tolerant of `authenticate()` calls that carry no request.

    Axes raises for those, which breaks Django's test client `login()` and scripts; without a
    request there is no client IP address to limit, so this backend stands aside and the
    credentials are still checked by ModelBackend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
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
