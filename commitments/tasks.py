from celery import shared_task
from django.conf import settings

from commitments.emails import email_send


# Time limits: the default (config/settings.py), which also sizes the broker's visibility timeout
# on the longest wait between retries.
@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=settings.EMAIL_RETRY_BACKOFF_MAX,
    max_retries=5,
)
def email_send_task(*, template: str, to: list[str], context: dict) -> None:
    """Context must be JSON-serialisable: pass ids and strings, not model instances."""
    email_send(template=template, to=to, context=context)


@shared_task
def reminders_send_due_task() -> int:
    """Daily; safe to run more often or to re-run after a missed day."""
    from commitments.services.notifications import reminders_send_due

    return reminders_send_due()
