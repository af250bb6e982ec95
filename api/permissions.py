"""What a token's scope allows. Who may do what to which object is the access gate's
(commitments/access.py), asked by each endpoint; a scope only narrows it."""

from rest_framework import permissions

from api.models import ApiToken, TokenScope


class TokenScopePermission(permissions.BasePermission):
    message = "This token is read-only: make a read-write token to change anything."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == TokenScope.READ:
            return request.method in permissions.SAFE_METHODS
        return True


class Authenticated(permissions.IsAuthenticated):
    message = "Sign in, or send a personal API token (`Authorization: Bearer pp_…`)."
