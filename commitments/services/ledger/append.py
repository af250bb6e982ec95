"""Appending to the hash-chained ledger.

Every service that changes what a report says or its state calls `ledger_append` inside its
own transaction, so the entry and the change commit or roll back together.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from commitments.models import LedgerEntry, LedgerHead

GENESIS_HASH = "0" * 64


def canonical_json(data: Any) -> str:
    """Sorted keys, no insignificant white space, UTF-8 characters kept as they are."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # Decimals and other scalars: their exact text form, never a float.
    return str(value)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hexdigest()


@transaction.atomic
def ledger_append(
    *,
    event: str,
    subject: Any,
    actor: Any | None,
    data: dict[str, Any],
    report_id: int | None = None,
) -> LedgerEntry:
    """Append one entry. Must run inside the caller's transaction (it is atomic itself too)."""
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    now = timezone.now()
    sequence = head.size + 1
    subject_type = subject._meta.label_lower if hasattr(subject, "_meta") else str(subject[0])
    subject_id = str(subject.pk if hasattr(subject, "_meta") else subject[1])
    payload = canonical_json(
        {
            "sequence": sequence,
            "time": now.isoformat(),
            "event": event,
            "actor": actor.pk if actor is not None else None,
            "actor_email": actor.email if actor is not None else None,
            "subject": {"type": subject_type, "id": subject_id},
            "report": report_id,
            "data": data,
        }
    )
    entry_hash = chain_hash(head.head_hash, payload)
    entry = LedgerEntry(
        sequence=sequence,
        created_at=now,
        event=event,
        actor_id=actor.pk if actor is not None else None,
        subject_type=subject_type,
        subject_id=subject_id,
        report_id=report_id,
        payload=payload,
        prev_hash=head.head_hash,
        entry_hash=entry_hash,
    )
    entry.save(force_insert=True)
    LedgerHead.objects.filter(id=1).update(size=sequence, head_hash=entry_hash)
    return entry
