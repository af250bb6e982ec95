import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pledgeproof")
app.config_from_object("django.conf:settings", namespace="CELERY")
if not settings.CELERY_BROKER_URL:
    # No broker: tasks run in-process (CELERY_TASK_ALWAYS_EAGER). Celery still builds a producer for
    # each call, and kombu warns of the missing host name once per process; the in-memory transport
    # says what "no broker" means. The setting itself stays empty, which is what the rest reads.
    app.conf.broker_url = "memory://localhost/"
app.autodiscover_tasks()
