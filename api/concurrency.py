"""Optimistic concurrency: `ETag` on what a client reads, `If-Match` on what it changes.

The ETag is the SHA-256 of the object's representation as the API serialises it, so it changes
exactly when something the client could see changes, with no version column to keep in step. An
update that carries `If-Match` is checked against the representation read *inside* the update's
transaction, with the row locked (select_for_update), so two clients racing with the same ETag
cannot both pass: the second sees the first one's change and gets 412, and nothing of either is
lost. An update without `If-Match` is applied (last writer wins), as HTTP allows; the schema
says so.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from api.problems import PreconditionFailed


def etag_of(representation: Any) -> str:
    canonical = json.dumps(representation, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def if_match_holds(value: str, current_representation: Any) -> bool:
    """Whether an If-Match value (the header's, or a bulk entry's `if_match`) names the current
    version: one of its ETags is the representation's, or it is `*`."""
    wanted = {tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()}
    return "*" in wanted or etag_of(current_representation) in wanted


def check_if_match(request, current_representation: Any) -> None:
    """Raise 412 if the request's If-Match names none of the current version (`*` matches any)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    if not if_match_holds(header, current_representation):
        current = etag_of(current_representation)
        raise PreconditionFailed(
            "This was changed since you read it (your If-Match is not its current ETag); nothing was "
            f"changed. Its current ETag is {current}: GET it, reapply your change, and retry."
        )
