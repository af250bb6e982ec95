from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def artifact_render_task(artifact_id: int) -> str:
    """Render one pending PDF; the outcome (ready or failed with the reason) is stored on the artifact."""
    from reports.pdf.services import artifact_render

    return artifact_render(artifact_id).status


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def opendata_rebuild_task(period_id: int) -> None:
    """Build and store the open-data files of one period (reports.opendata.services), unless a
    request found them stale and built them from this publication (or a newer one) first."""
    from reports.opendata.services import opendata_rebuild

    opendata_rebuild(period_id, only_if_stale=True)
