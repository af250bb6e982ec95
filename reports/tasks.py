from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def artifact_render_task(artifact_id: int) -> str:
    """Render one pending PDF; the outcome (ready or failed with the reason) is stored on the artifact."""
    from reports.pdf.services import artifact_render

    return artifact_render(artifact_id).status
