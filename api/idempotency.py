"""`Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): a retried request never acts twice.

A POST that carries the header runs in one transaction with a row for its key (api/models.py
IdempotentResponse). The first request with a key inserts the row, does its work, and keeps its
2xx response in the row; both commit together, or neither does. Later:
- the same key with the same request (method, path and body, files by their SHA-256) gets the
  kept response again, marked `Idempotent-Replayed: true`, and nothing is done;
- the same key with another request is refused (422), since the key was meant for the first;
- a request whose key is held by one still running waits for it on PostgreSQL (the unique index
  holds the second insert until the first commits) and is then answered with its response.
A response that is not a success is not kept: nothing was done, so a retry may try again.
Keys are kept for IDEMPOTENCY_KEY_HOURS; an older row is forgotten when its key comes again, and
purged by `purge_idempotency_keys` (run by the scheduler).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from api.models import IdempotentResponse
from api.problems import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidParameters

HEADER = "Idempotency-Key"
KEY_MAX = 255
# Response headers worth replaying (the body and status are kept whole).
KEPT_HEADERS = ("Location", "ETag")


def _kept_for() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def _value(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest(), "size": value.size}
    return value


def fingerprint(request) -> str:
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict: multipart or form bodies
        body: Any = {key: [_value(v) for v in values] for key, values in data.lists()}
    else:
        body = data
    files = {key: [_value(f) for f in request.FILES.getlist(key)] for key in request.FILES}
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": body, "files": files},
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_of(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise InvalidParameters({HEADER: [f"An {HEADER} is 1 to {KEY_MAX} printable ASCII characters."]})
    return key


def _replay(kept: IdempotentResponse, print_: str) -> Response:
    if kept.fingerprint != print_:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used on {kept.created_at:%Y-%m-%d %H:%M} UTC for a different request "
            f"({kept.method} {kept.path}); use a new key for a new request."
        )
    response = Response(kept.body, status=kept.status_code, headers=kept.headers)
    response["Idempotent-Replayed"] = "true"
    return response


def _kept(user, key: str) -> IdempotentResponse | None:
    row = IdempotentResponse.objects.filter(user=user, key=key).first()
    if row is not None and row.created_at <= timezone.now() - _kept_for():
        row.delete()
        return None
    return row


def idempotent(handler):
    """Decorate an APIView's post(): it then honours Idempotency-Key (the schema says so too)."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = _key_of(request)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        print_ = fingerprint(request)
        with transaction.atomic():
            kept = _kept(request.user, key)
            if kept is not None:
                return _replay(kept, print_)
            try:
                with transaction.atomic():
                    row = IdempotentResponse.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        fingerprint=print_,
                        status_code=0,
                    )
            except IntegrityError:
                # Another request with this key committed meanwhile (PostgreSQL held this insert till then).
                kept = _kept(request.user, key)
                if kept is None or kept.status_code == 0:
                    raise IdempotencyKeyInUse() from None
                return _replay(kept, print_)
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                row.status_code = response.status_code
                row.body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
                row.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
                row.save(update_fields=["status_code", "body", "headers"])
            else:
                row.delete()
            return response

    wrapper.idempotent = True
    return wrapper


def purge_expired() -> int:
    """Forget responses older than IDEMPOTENCY_KEY_HOURS; the number forgotten."""
    deleted, _ = IdempotentResponse.objects.filter(created_at__lte=timezone.now() - _kept_for()).delete()
    return deleted
