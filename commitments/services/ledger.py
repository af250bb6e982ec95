"""The append-only, hash-chained ledger.

Every service that changes what a report says or its state calls `ledger_append` inside its
own transaction, so the entry and the change commit or roll back together. `ledger_verify`
(behind `manage.py verify_ledger`) re-checks the whole chain for anyone who could have edited
the database directly.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

from django.db import connection, transaction
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


@dataclass(frozen=True)
class LedgerVerification:
    """What `ledger_verify` found.

    `count` and `head_hash` describe the entries that checked out before the first problem (all
    of them when `ok`). `first_bad_sequence` is the first entry that did not, or the first missing
    one; it is None when only the head row is wrong.
    """

    ok: bool
    count: int
    head_hash: str
    first_bad_sequence: int | None = None
    problem: str = ""


_VERIFY_SQL = (
    "SELECT sequence, id, prev_hash, entry_hash, {payload}, event, actor_id, subject_type, subject_id,"
    " report_id FROM {table} WHERE sequence > %s AND sequence <= %s ORDER BY sequence LIMIT %s"
)
# How to read the payload as bytes for hashing. SQLite hands over its stored UTF-8 as is;
# PostgreSQL would send bytea as hex text, which reads slower than the text encoded here.
_PAYLOAD_AS_BYTES = {"sqlite": ("CAST(payload AS BLOB)", bytes), "postgresql": ("payload", str.encode)}
_MISSING = object()


def ledger_verify(*, batch_size: int = 5000) -> LedgerVerification:
    """Walk the chain in sequence order and stop at the first entry that does not check out.

    Each entry must follow the previous one without a gap, name its hash as prev_hash, hash to
    its own entry_hash, and agree with its payload on sequence, event, actor, subject and report.
    Then the head row must describe the last entry, so that dropping the newest entries shows.
    """
    head = LedgerHead.objects.filter(id=1).values_list("size", "head_hash").first()
    head_size, recorded_head_hash = head or (0, GENESIS_HASH)

    # The loop below runs once per entry, so it avoids model instances, attribute look-ups and
    # json.loads (which alone costs several times the hashing); see _payload_disagreement.
    sha256 = hashlib.sha256
    quoted = encode_basestring
    quoted_cache: dict[str, str] = {}
    actor_prefixes: dict[int | None, bytes] = {}
    expected = 1
    last_hash = GENESIS_HASH
    last_digest = bytes.fromhex(GENESIS_HASH)

    as_bytes = _PAYLOAD_AS_BYTES[connection.vendor][1]
    for rows in _entry_batches(head_size, batch_size):
        for (
            sequence,
            entry_id,
            prev_hash,
            entry_hash,
            payload,
            event,
            actor_id,
            subject_type,
            subject_id,
            report_id,
        ) in rows:
            if sequence != expected:
                return _gap(expected, sequence, entry_id, last_hash)
            if prev_hash != last_hash:
                return _bad_entry(sequence, entry_id, _unlinked(sequence, prev_hash, last_hash), last_hash)
            payload = as_bytes(payload)
            digest = sha256(last_digest + payload).digest()
            if digest.hex() != entry_hash:
                problem = (
                    f"it has been altered: its payload hashes to {digest.hex()}, "
                    f"not to its recorded entry_hash {entry_hash}"
                )
                return _bad_entry(sequence, entry_id, problem, last_hash)

            prefix = actor_prefixes.get(actor_id)
            if prefix is None:
                actor_json = "null" if actor_id is None else actor_id
                prefix = actor_prefixes[actor_id] = f'{{"actor":{actor_json},"actor_email":'.encode()
            event_json = quoted_cache.get(event) or quoted_cache.setdefault(event, quoted(event))
            type_json = quoted_cache.get(subject_type) or quoted_cache.setdefault(
                subject_type, quoted(subject_type)
            )
            suffix = (
                f',"event":{event_json},"report":{"null" if report_id is None else report_id}'
                f',"sequence":{sequence},"subject":{{"id":{quoted(subject_id)},"type":{type_json}}}'
                ',"time":"'
            ).encode()
            # The time is the last value and holds no quote, so the last quote before the
            # closing '"}' opens it: what comes before must end with the suffix, which pins
            # the suffix to the top level however the data nests.
            time_opens = payload.rfind(b'"', 0, len(payload) - 2) + 1
            if not (payload.startswith(prefix) and payload.endswith(suffix, 0, time_opens)):
                problem = _payload_disagreement(
                    payload, sequence, event, actor_id, subject_type, subject_id, report_id
                )
                if problem is not None:
                    return _bad_entry(sequence, entry_id, problem, last_hash)

            last_hash = entry_hash
            last_digest = digest
            expected += 1

    count = expected - 1
    if count != head_size or last_hash != recorded_head_hash:
        return _head_mismatch(count, last_hash, head_size, recorded_head_hash)
    return _entry_beyond_head(head_size, last_hash) or LedgerVerification(
        ok=True, count=count, head_hash=last_hash
    )


def _entry_batches(head_size: int, batch_size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Entries 1 to head_size in sequence order, one query per batch.

    Entries past the head are left to _entry_beyond_head, so that an append committing
    meanwhile does not look like tampering. Paging on the sequence, rather than a server-side
    cursor, reads about a third faster on PostgreSQL and holds nothing open between batches.
    """
    sql = _VERIFY_SQL.format(
        payload=_PAYLOAD_AS_BYTES[connection.vendor][0],
        table=connection.ops.quote_name(LedgerEntry._meta.db_table),
    )
    after = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after, head_size, batch_size])
            rows = cursor.fetchall()
            if rows:
                yield rows
            if len(rows) < batch_size:
                return
            after = rows[-1][0]


def _payload_disagreement(
    payload: bytes,
    sequence: int,
    event: str,
    actor_id: int | None,
    subject_type: str,
    subject_id: str,
    report_id: int | None,
) -> str | None:
    """Compare the payload with the row's columns the plain way; None when they agree.

    ledger_verify's text checks hold only for payloads laid out as ledger_append writes them
    (sorted keys, "actor" first, "time" last); they prove agreement but can miss it, e.g. for
    an older payload layout, so every entry they do not vouch for gets this full comparison.
    """
    try:
        data = json.loads(payload)
    except ValueError:
        return "its payload is not valid JSON"
    if not isinstance(data, dict):
        return "its payload is not a JSON object"
    subject = data.get("subject")
    if not isinstance(subject, dict):
        subject = {}
    for column, column_value, key, payload_value in (
        ("sequence", sequence, "sequence", data.get("sequence", _MISSING)),
        ("event", event, "event", data.get("event", _MISSING)),
        ("actor_id", actor_id, "actor", data.get("actor", _MISSING)),
        ("subject_type", subject_type, "subject type", subject.get("type", _MISSING)),
        ("subject_id", subject_id, "subject id", subject.get("id", _MISSING)),
        ("report_id", report_id, "report", data.get("report", _MISSING)),
    ):
        if payload_value is _MISSING:
            return f"its payload has no {key}"
        # type() too, so that a payload's 1 and a column's "1" (or True) do not pass as equal.
        if payload_value != column_value or type(payload_value) is not type(column_value):
            return f"its {column} column says {column_value!r}, but its payload says {payload_value!r}"
    return None


def _unlinked(sequence: int, prev_hash: str, last_hash: str) -> str:
    should = (
        f"entry #{sequence - 1} has hash {last_hash}"
        if sequence > 1
        else f"the first entry must point at the genesis hash {GENESIS_HASH}"
    )
    return f"it does not link to the entry before it: its prev_hash is {prev_hash}, but {should}"


def _bad_entry(sequence: int, entry_id: int, problem: str, last_hash: str) -> LedgerVerification:
    return LedgerVerification(
        ok=False,
        count=sequence - 1,
        head_hash=last_hash,
        first_bad_sequence=sequence,
        problem=f"Entry #{sequence} (id {entry_id}): {problem}.",
    )


def _gap(expected: int, sequence: int, entry_id: int, last_hash: str) -> LedgerVerification:
    if sequence < expected:
        problem = f"Entry #{sequence} (id {entry_id}) is out of place: entry #{expected} should come next."
        first_bad = sequence
    else:
        missing = (
            f"Entry #{expected} is missing"
            if sequence == expected + 1
            else f"Entries #{expected} to #{sequence - 1} are missing"
        )
        before = f"entry #{expected - 1} is followed by" if expected > 1 else "the ledger starts at"
        problem = f"{missing}: {before} entry #{sequence} (id {entry_id})."
        first_bad = expected
    return LedgerVerification(
        ok=False, count=expected - 1, head_hash=last_hash, first_bad_sequence=first_bad, problem=problem
    )


def _head_mismatch(count: int, last_hash: str, head_size: int, head_hash: str) -> LedgerVerification:
    if count < head_size:
        missing = (
            f"Entry #{head_size} is missing"
            if count + 1 == head_size
            else f"Entries #{count + 1} to #{head_size} are missing"
        )
        last = f"the last entry is #{count}" if count else "there are no entries"
        problem = f"{missing}: the ledger head records {head_size} entries ending in {head_hash}, but {last}."
        return LedgerVerification(
            ok=False, count=count, head_hash=last_hash, first_bad_sequence=count + 1, problem=problem
        )
    last = f"entry #{count}'s hash is {last_hash}" if count else "there are no entries yet"
    problem = f"The ledger head does not match entry #{count}: it records hash {head_hash}, but {last}."
    return LedgerVerification(ok=False, count=count, head_hash=last_hash, problem=problem)


def _entry_beyond_head(head_size: int, last_hash: str) -> LedgerVerification | None:
    beyond = (
        LedgerEntry.objects.filter(sequence__gt=head_size)
        .order_by("sequence")
        .values_list("sequence", "id")
        .first()
    )
    if beyond is None:
        return None
    # An append may have committed since the head was read: only an entry the head still does
    # not count is wrong.
    size_now = LedgerHead.objects.filter(id=1).values_list("size", flat=True).first()
    if size_now is not None and size_now >= beyond[0]:
        return None
    head = (
        "there is no ledger head" if size_now is None else f"the ledger head counts only {size_now} entries"
    )
    return LedgerVerification(
        ok=False,
        count=head_size,
        head_hash=last_hash,
        first_bad_sequence=beyond[0],
        problem=f"Entry #{beyond[0]} (id {beyond[1]}) lies beyond the end of the ledger: {head}.",
    )
