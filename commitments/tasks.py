from celery import shared_task

from commitments.emails import email_send


@shared_task(soft_time_limit=60)
def email_outbox_send_task(entry_id: int) -> bool:
    """Send the email of one outbox row, unless it is sent already; retries belong to the outbox."""
    from outbox.services import entry_complete_once

    return entry_complete_once(entry_id, lambda payload: email_send(**payload))


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, soft_time_limit=60)
def email_send_task(*, template: str, to: list[str], context: dict) -> None:
    """Only drains messages queued before the outbox (issue 12); nothing queues it any more."""
    email_send(template=template, to=to, context=context)


@shared_task(soft_time_limit=300)
def reminders_send_due_task() -> int:
    """Daily; safe to run more often or to re-run after a missed day."""
    from commitments.services.notifications import reminders_send_due

    return reminders_send_due()
