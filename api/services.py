"""Writes of the API's own records: personal tokens (made, revoked, used)."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiToken, TokenScope
from commitments.errors import ValidationFailed

TOKEN_PREFIX = "pp"
NAME_MAX = ApiToken._meta.get_field("name").max_length
# A token's "last used" is written at most this often: not one UPDATE per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
MAX_LIFETIME = datetime.timedelta(days=366)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token, shown once


def token_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(secret: str) -> str | None:
    """The public prefix of a well-formed token ("pp_<prefix>_<rest>"), else None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isalnum() or not parts[2]:
        return None
    return parts[1]


@transaction.atomic
def api_token_create(
    *, user, name: str, scope: str, expires_at: datetime.datetime | None = None
) -> IssuedToken:
    """A new personal token for `user`, who is also the one making it (web page or operator)."""
    name = (name or "").strip()
    problems: dict[str, list[str]] = {}
    if not name:
        problems["name"] = ["Give the token a name, so you can tell it apart later."]
    elif "\x00" in name:
        problems["name"] = ["A name cannot contain a NUL character."]
    elif len(name) > NAME_MAX:
        problems["name"] = [f"At most {NAME_MAX} characters."]
    if scope not in TokenScope.values:
        problems["scope"] = [f"Choose one of: {', '.join(TokenScope.values)}."]
    if expires_at is not None:
        now = timezone.now()
        if expires_at <= now:
            problems["expires_at"] = ["The expiry must be in the future."]
        elif expires_at > now + MAX_LIFETIME:
            problems["expires_at"] = ["A token lives at most a year; make a new one then."]
    if not user.is_active:
        problems["user"] = ["This account is deactivated."]
    if problems:
        raise ValidationFailed("The token was not made.", problems)
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=prefix,
        secret_sha256=token_sha256(secret),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke one of `by`'s own tokens; revoking twice changes nothing."""
    if token.user_id != by.pk:
        raise ValidationFailed("Only the token's owner can revoke it.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_used(*, token: ApiToken) -> None:
    """Note that the token was just used (at most once a minute: a conditional UPDATE)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
