from celery import shared_task

from commitments.emails import email_send


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, soft_time_limit=60)
def email_send_task(*, template: str, to: list[str], context: dict) -> None:
    """Context must be JSON-serialisable: pass ids and strings, not model instances."""
    email_send(template=template, to=to, context=context)


@shared_task(soft_time_limit=300)
def reminders_send_due_task() -> int:
    """Daily; safe to run more often or to re-run after a missed day."""
    from commitments.services.notifications import reminders_send_due

    return reminders_send_due()


@shared_task(soft_time_limit=120)
def checkpoint_sign_task() -> int:
    """Periodic, and after state changes: idempotent, a tree that has not grown gets no new checkpoint."""
    from commitments.services.ledger.checkpoints import checkpoint_sign

    return checkpoint_sign().size
