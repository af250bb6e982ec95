from celery import shared_task
from django.conf import settings


# Its own time limits (the longest job; config/settings.py sizes the broker's visibility timeout on
# them). bind: the task id tells a re-delivered message (same id) from a second one.
@shared_task(
    bind=True,
    soft_time_limit=settings.PDF_RENDER_SOFT_TIME_LIMIT,
    time_limit=settings.PDF_RENDER_TIME_LIMIT,
)
def artifact_render_task(self, artifact_id: int) -> str:
    """Render one pending PDF; the outcome (ready or failed with the reason) is stored on the artifact."""
    from reports.pdf.services import artifact_render

    return artifact_render(artifact_id, task_id=self.request.id or "").status


@shared_task
def artifact_sweep_stale_task() -> dict:
    """Periodic (CELERY_BEAT_SCHEDULE): PDFs whose rendering died are queued again or marked failed."""
    from reports.pdf.services import artifact_sweep_stale

    outcome = artifact_sweep_stale()
    return {"requeued": outcome.requeued, "failed": outcome.failed}
