from celery import shared_task
from django.conf import settings


@shared_task(
    soft_time_limit=settings.BUNDLE_BUILD_SOFT_TIME_LIMIT, time_limit=settings.BUNDLE_BUILD_TIME_LIMIT
)
def bundle_build_task(bundle_id: int) -> str:
    """Build one pending audit bundle; the outcome (ready, or failed with the reason) is on its row."""
    from bundles.services import bundle_build

    return bundle_build(bundle_id).status
