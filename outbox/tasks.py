from celery import shared_task

# Rows dispatched per run; the next run (a minute later) takes the rest.
BATCH = 500


@shared_task(soft_time_limit=600, time_limit=660)
def outbox_dispatch_due_task() -> int:
    """Periodic: dispatch the outbox rows whose retry is due. Safe to run often, or twice at once."""
    from outbox.services import entries_dispatch

    return len(entries_dispatch(due_only=True, limit=BATCH))
