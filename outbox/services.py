"""The transactional outbox: side effects that a failing broker can neither lose nor turn into errors.

A state change calls `record(kind, payload, key=...)` inside its own transaction. The row commits
or rolls back with the change (a rolled-back change sends nothing), and an on-commit hook then
dispatches it at once. A dispatch that fails (the broker down, the cache unreachable, SMTP
refusing) is logged as a warning with the reason and leaves the row pending with a backoff; it
never raises into the request. Pending rows are retried by the periodic `outbox_dispatch_due_task`
and by `manage.py dispatch_outbox`, until they succeed or fail MAX_ATTEMPTS times (then they are
marked failed for good and shown by the command and the admin).

Who acts on a row: a dispatcher first claims it with one conditional UPDATE (pending, not claimed
by anyone else, and due unless forced), which sets `claimed_until`; two dispatchers, in one
process or several, never both claim it. One that dies mid-dispatch leaves the claim to expire
after CLAIM_LEASE, and the row is taken again.

Guarantees, per kind (the registry is outbox.handlers):
- PDF rendering: the task is published at least once; rendering skips an artifact that is no
  longer pending, so a second copy never renders a second PDF.
- Public cache refresh: run in-process at least once; one more bump is harmless.
- Email: sent once. The dispatcher only publishes the email task with the row id and leaves the
  row pending (waiting HANDOFF_WAIT for a worker before publishing again). The task
  (`entry_complete_once`) locks the row, sends only if it is still pending, and marks it done in
  the same transaction: a task published twice (the wait ran out, an operator forced a retry, a
  publish that timed out but arrived) finds the row done, or waits for the lock and then finds
  it done, and sends nothing. If sending fails, the row stays pending with the reason and a
  backoff. The one window left is between the mail server accepting the message and the commit
  of "done" (the process killed, the database lost in those milliseconds): the row is then still
  pending and the email is sent again. That is chosen over losing it. On SQLite, whose
  `select_for_update` locks nothing, "once" holds within one process (the embedded default).
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Callable
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from outbox.handlers import HANDLERS
from outbox.models import OutboxEntry, OutboxKind, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 15
BACKOFF_FIRST = datetime.timedelta(seconds=30)
BACKOFF_CAP = datetime.timedelta(hours=1)  # 15 attempts span about 8 hours, an outage over a night
# How long a dispatcher may hold a row; longer than a PDF rendered in-process (time limit 660 s).
CLAIM_LEASE = datetime.timedelta(minutes=15)
# How long a row handed to a worker (an email task) waits before it is published again.
HANDOFF_WAIT = datetime.timedelta(minutes=30)
# After a broker error, this process does not try the broker again for this long: a request with
# three side effects then waits for a dead broker once, not three times.
BROKER_PAUSE_SECONDS = 30
MAX_ERROR_LENGTH = 2000
MAX_KEY_LENGTH = OutboxEntry._meta.get_field("key").max_length
BROKER_ERRORS = (BrokerOperationalError, OSError)


class BrokerPaused(Exception):
    """The broker failed a moment ago in this process; the row waits for the next try."""


def _unclaimed(now: datetime.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min … at most an hour."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def record(kind: OutboxKind | str, payload: dict, *, key: str | None = None) -> OutboxEntry:
    """Record a side effect in the current transaction and dispatch it once that commits.

    `key` names the side effect (recording the same key again returns the row already there);
    without one, every call is a new side effect. `payload` must be JSON (ids and strings).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "outbox.record() must be called inside the transaction of the change it belongs to "
            "(wrap the change in transaction.atomic())."
        )
    kind = OutboxKind(kind)
    if key is None:  # a new side effect: no earlier row can hold its key
        entry = OutboxEntry.objects.create(
            kind=kind, payload=payload, key=f"{kind}:{uuid.uuid4().hex}", next_attempt_at=timezone.now()
        )
        transaction.on_commit(partial(_dispatch_after_commit, entry.pk))
        return entry
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"An outbox key is at most {MAX_KEY_LENGTH} characters; build it from ids.")
    existing = OutboxEntry.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            entry = OutboxEntry.objects.create(
                kind=kind, payload=payload, key=key, next_attempt_at=timezone.now()
            )
    except IntegrityError:  # the same key, recorded by a concurrent transaction
        return OutboxEntry.objects.get(key=key)
    transaction.on_commit(partial(_dispatch_after_commit, entry.pk))
    return entry


def _dispatch_after_commit(entry_id: int) -> None:
    try:
        entry_dispatch(entry_id, due_only=False)
    except Exception:  # noqa: BLE001 - the change is committed; the row stays pending for a retry
        logger.warning(
            "Outbox entry #%s was not dispatched after commit; it stays pending", entry_id, exc_info=True
        )


def entry_dispatch(entry_id: int, *, due_only: bool = True) -> OutboxEntry | None:
    """Claim the pending row and run its handler; return it as it is now, or None if not claimed.

    Not claimed: done, failed for good, claimed by another dispatcher, or (with `due_only`)
    waiting for its backoff. A handler's failure is recorded on the row, never raised.
    """
    now = timezone.now()
    lease = now + CLAIM_LEASE
    claimable = OutboxEntry.objects.pending().filter(pk=entry_id).filter(_unclaimed(now))
    if due_only:
        claimable = claimable.filter(next_attempt_at__lte=now)
    if not claimable.update(claimed_until=lease, attempts=F("attempts") + 1, last_error="", updated_at=now):
        return None
    entry = OutboxEntry.objects.get(pk=entry_id)
    mine = OutboxEntry.objects.filter(pk=entry_id, claimed_until=lease)
    handler = HANDLERS.get(entry.kind)
    try:
        if handler is None:  # a row written by a release that knew a kind this one does not
            raise LookupError(f"No handler for the outbox kind {entry.kind!r}")
        if handler.via_broker:
            _broker_check()
        handler.run(entry)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row for a retry
        if handler is not None and handler.via_broker and isinstance(exc, BROKER_ERRORS):
            _broker_pause(exc)
        _failure_record(mine, entry, _reason(exc))
    else:
        if handler.completes:
            finished = timezone.now()
            mine.update(status=OutboxStatus.DONE, done_at=finished, claimed_until=None, updated_at=finished)
        else:
            # Handed to a worker, which marks the row done (in-process, it already has). Unless the
            # worker recorded a failure, wait for it before publishing again.
            mine.filter(status=OutboxStatus.PENDING, last_error="").update(
                next_attempt_at=timezone.now() + HANDOFF_WAIT
            )
            mine.update(claimed_until=None)
    entry.refresh_from_db()
    return entry


def entries_dispatch(*, due_only: bool = True, limit: int | None = None) -> list[OutboxEntry]:
    """Dispatch pending rows (only those due, unless `due_only=False`), oldest first; return what
    this call dispatched, each as it is now."""
    now = timezone.now()
    candidates = OutboxEntry.objects.pending().filter(_unclaimed(now))
    if due_only:
        candidates = candidates.filter(next_attempt_at__lte=now)
    ids = list(candidates.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    dispatched = (entry_dispatch(entry_id, due_only=due_only) for entry_id in ids)
    return [entry for entry in dispatched if entry is not None]


def failed_entries_requeue() -> int:
    """Put every row that failed for good back to pending, with a fresh count of attempts."""
    return OutboxEntry.objects.failed().update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )


def entry_complete_once(entry_id: int, work: Callable[[dict], None]) -> bool:
    """Run `work(payload)` if the row is still pending and mark it done, in one transaction that
    holds the row's lock: of two tasks for the same row, one works and the other finds it done.

    Returns whether the work ran and succeeded. A failure is recorded on the row (backoff, or
    failed for good), never raised, so the task is not retried behind the outbox's back.
    """
    with transaction.atomic():
        entry = (
            OutboxEntry.objects.select_for_update().filter(pk=entry_id, status=OutboxStatus.PENDING).first()
        )
        if entry is None:
            return False
        try:
            with transaction.atomic():  # a database error in `work` leaves this transaction usable
                work(entry.payload)
        except Exception as exc:  # noqa: BLE001 - recorded on the row for a retry
            _failure_record(OutboxEntry.objects.filter(pk=entry_id), entry, _reason(exc))
            return False
        OutboxEntry.objects.filter(pk=entry_id).update(
            status=OutboxStatus.DONE, done_at=timezone.now(), last_error="", updated_at=timezone.now()
        )
    return True


def _failure_record(rows, entry: OutboxEntry, reason: str) -> None:
    now = timezone.now()
    values = {"last_error": reason, "claimed_until": None, "updated_at": now}
    if entry.attempts >= MAX_ATTEMPTS:
        values["status"] = OutboxStatus.FAILED
        logger.warning(
            "Outbox: %s #%s (%s) failed for good after %s attempts: %s",
            entry.kind,
            entry.pk,
            entry.key,
            entry.attempts,
            reason,
        )
    else:
        values["next_attempt_at"] = now + backoff(entry.attempts)
        logger.warning(
            "Outbox: %s #%s (%s) not done, attempt %s of %s: %s; it stays pending, next try at %s",
            entry.kind,
            entry.pk,
            entry.key,
            entry.attempts,
            MAX_ATTEMPTS,
            reason,
            values["next_attempt_at"].isoformat(timespec="seconds"),
        )
    rows.update(**values)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


# --- the broker pause -------------------------------------------------------------------------
# Per process and per broker URL; never when tasks run in-process (no broker to wait for).

_broker_paused: dict[str, tuple[float, str]] = {}


def _broker_url() -> str | None:
    from celery import current_app

    if current_app.conf.task_always_eager:
        return None
    return str(current_app.conf.broker_url)


def _broker_check() -> None:
    url = _broker_url()
    paused = _broker_paused.get(url) if url else None
    if paused and time.monotonic() < paused[0]:
        raise BrokerPaused(f"the broker was unreachable a moment ago ({paused[1]}); not tried again yet")


def _broker_pause(exc: BaseException) -> None:
    url = _broker_url()
    if url:
        _broker_paused[url] = (time.monotonic() + BROKER_PAUSE_SECONDS, _reason(exc))
