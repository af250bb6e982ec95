from celery import shared_task
from django.conf import settings

from commitments.emails import email_send


@shared_task  # time limits: the default (config/settings.py)
def email_outbox_send_task(entry_id: int) -> bool:
    """Send the email of one outbox row, unless it is sent already; retries belong to the outbox."""
    from outbox.services import entry_complete_once

    return entry_complete_once(entry_id, lambda payload: email_send(**payload))


# Time limits: the default (config/settings.py), which also sizes the broker's visibility timeout
# on the longest wait between retries.
@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=settings.EMAIL_RETRY_BACKOFF_MAX,
    max_retries=5,
)
def email_send_task(*, template: str, to: list[str], context: dict) -> None:
    """Only drains messages queued before the outbox (issue 12); nothing queues it any more."""
    email_send(template=template, to=to, context=context)


@shared_task
def reminders_send_due_task() -> int:
    """Daily; safe to run more often or to re-run after a missed day."""
    from commitments.services.notifications import reminders_send_due

    return reminders_send_due()


@shared_task(soft_time_limit=120)
def checkpoint_sign_task() -> int:
    """Periodic, and after state changes: idempotent, a tree that has not grown gets no new checkpoint."""
    from commitments.services.ledger.checkpoints import checkpoint_sign

    return checkpoint_sign().size
