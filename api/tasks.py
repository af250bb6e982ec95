from celery import shared_task

from api.idempotency import purge_expired


@shared_task
def idempotency_purge_task() -> int:
    """Forget kept Idempotency-Key responses past IDEMPOTENCY_KEY_HOURS (scheduled hourly)."""
    return purge_expired()
