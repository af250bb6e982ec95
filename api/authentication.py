"""`Authorization: Bearer pp_…`: a personal API token (api/models.py).

A token acts as its owner, through the same access gate as the owner's web session; its scope can
only narrow that (permissions.TokenScopePermission). A missing header leaves the request anonymous
(public endpoints answer it, others 401); a header that names no usable token is a 401 that says
which of malformed, unknown, revoked or expired it is, so that an integrator can fix it.
"""

from __future__ import annotations

import hmac

from rest_framework import authentication, exceptions

from api.models import ApiToken
from api.services import api_token_used, split_token, token_sha256

SCHEME = "Bearer"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != SCHEME.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the token as `Authorization: Bearer pp_…`, with no spaces in it."
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("A token is plain ASCII: this one is malformed.") from None
        prefix = split_token(secret)
        if prefix is None:
            raise exceptions.AuthenticationFailed("This is not a Pledgeproof token (they start with `pp_`).")
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.secret_sha256, token_sha256(secret)):
            raise exceptions.AuthenticationFailed("Unknown token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is deactivated.")
        api_token_used(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate), not 403, to a request without credentials.
        return f'{SCHEME} realm="api"'
