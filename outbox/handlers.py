"""The one registry of side effects: what dispatching each kind of outbox row does.

A handler either completes the side effect itself (the row is done when it returns), or hands it
to a Celery task that completes the row (`completes=False`): the email task marks its row done
in the transaction that found it still pending, so that a second copy of the task sends nothing.
`via_broker` handlers publish to the broker, so they wait while it was just found unreachable.

Handlers import what they call when they run: the apps that record side effects import the
outbox, not the other way round.
"""

from collections.abc import Callable
from dataclasses import dataclass

from outbox.models import OutboxEntry, OutboxKind


@dataclass(frozen=True)
class Handler:
    run: Callable[[OutboxEntry], None]
    completes: bool
    via_broker: bool


def _email(entry: OutboxEntry) -> None:
    from commitments.tasks import email_outbox_send_task

    email_outbox_send_task.delay(entry.pk)


def _pdf_render(entry: OutboxEntry) -> None:
    # Rendering does nothing unless the artifact is still pending, so a second copy renders nothing.
    from reports.tasks import artifact_render_task

    artifact_render_task.delay(entry.payload["artifact_id"])


def _opendata_rebuild(entry: OutboxEntry) -> None:
    # A rebuild from the same or a newer publication is a no-op (only_if_stale), so a second copy
    # builds nothing; and a file found stale by a request is rebuilt then, whatever this row does.
    from reports.tasks import opendata_rebuild_task

    opendata_rebuild_task.delay(entry.payload["period_id"])


def _checkpoint_sign(entry: OutboxEntry) -> None:
    # Signing is idempotent: a tree that has not grown since the last checkpoint signs nothing new.
    from commitments.services.ledger.checkpoints import checkpoint_sign

    checkpoint_sign()


def _bundle_build(entry: OutboxEntry) -> None:
    # Building does nothing unless the bundle is still pending and unclaimed, so a second copy builds nothing.
    from bundles.tasks import bundle_build_task

    bundle_build_task.delay(entry.payload["bundle_id"])


def _public_cache_bump(entry: OutboxEntry) -> None:
    from reports.cache import public_generation_bump

    public_generation_bump()


HANDLERS: dict[str, Handler] = {
    OutboxKind.EMAIL: Handler(_email, completes=False, via_broker=True),
    OutboxKind.PDF_RENDER: Handler(_pdf_render, completes=True, via_broker=True),
    OutboxKind.OPENDATA_REBUILD: Handler(_opendata_rebuild, completes=True, via_broker=True),
    OutboxKind.CHECKPOINT_SIGN: Handler(_checkpoint_sign, completes=True, via_broker=False),
    OutboxKind.PUBLIC_CACHE_BUMP: Handler(_public_cache_bump, completes=True, via_broker=False),
    OutboxKind.BUNDLE_BUILD: Handler(_bundle_build, completes=True, via_broker=True),
}
