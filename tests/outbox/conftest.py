import pytest
from celery import Celery

from config.celery import app as celery_app

# Nothing listens on port 1: every connection is refused at once.
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    """Tasks are published for real (not run in-process) to a broker that refuses connections,
    with the project's Celery settings (its publish timeouts and retries). Leaving the fixture
    is the broker coming back: the suite's in-process app is current again."""
    monkeypatch.setattr("outbox.services._broker_paused", {})
    app = Celery("pledgeproof-broker-down", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=DEAD_BROKER, task_always_eager=False)
    app.set_current()
    try:
        yield app
    finally:
        app.close()
        celery_app.set_current()


def broker_back() -> None:
    """The broker is reachable again (here: tasks run in-process, as with no broker)."""
    celery_app.set_current()
