"""/healthz and /readyz: what the orchestrator in front asks before sending traffic."""

import pytest
from django.core.files.storage import default_storage
from django.db.utils import ConnectionHandler
from django.test import override_settings

from config import health
from tests.config.support import dead_port, redis_cache_at
from tests.real_services import redis_url

pytestmark = pytest.mark.django_db

# A probe comes straight to the process: by its own address, over plain HTTP.
PROBE = {"HTTP_HOST": "10.0.4.17:8000"}
PRODUCTION_LIKE = override_settings(ALLOWED_HOSTS=["pledgeproof.example.org"], SECURE_SSL_REDIRECT=True)


def _ready(client):
    response = client.get("/readyz", **PROBE)
    return response, response.json()


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with PRODUCTION_LIKE, django_assert_num_queries(0):
        response = client.get("/healthz", **PROBE)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_lists_each_check_with_its_status_and_time(client):
    with PRODUCTION_LIKE:
        response, body = _ready(client)

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage"}  # no broker configured in the suite
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["ms"], float | int)
    # The storage probe's file was written and deleted.
    assert default_storage.listdir("")[1] == []


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_never_cached_and_need_no_host_name_or_https(client, path):
    with PRODUCTION_LIKE:
        probe = client.get(path, **PROBE)
        page = client.get("/methodology/", **PROBE)

    assert page.status_code == 400  # the same request to a page: not an allowed host
    assert probe.status_code == 200
    assert "no-store" in probe["Cache-Control"]
    assert probe["Content-Type"] == "application/json"
    assert probe["X-Request-ID"]


def test_a_probe_path_answers_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 404


def test_a_dead_cache_fails_readyz_naming_the_cache_and_nothing_secret(client):
    url = f"redis://:hunter2-cache-password@127.0.0.1:{dead_port()}/0"
    with override_settings(CACHES=redis_cache_at(url)):
        response, body = _ready(client)

    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["cache"] == {
        "status": "fail",
        "error": "ConnectionError",
        "ms": body["checks"]["cache"]["ms"],
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert "hunter2" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_a_dead_broker_fails_readyz_naming_the_broker(client):
    url = f"redis://:hunter2-broker-password@127.0.0.1:{dead_port()}/0"
    with override_settings(CELERY_BROKER_URL=url):
        response, body = _ready(client)

    assert response.status_code == 503
    assert body["checks"]["broker"]["status"] == "fail"
    assert {name for name, check in body["checks"].items() if check["status"] == "fail"} == {"broker"}
    assert "hunter2" not in response.content.decode()


def test_unusable_storage_fails_readyz_naming_the_storage(client, tmp_path):
    # As root, permissions do not stop reading, so the storage folder is made impossible: it would
    # be inside a regular file.
    (tmp_path / "not-a-folder").write_text("")
    media = tmp_path / "not-a-folder" / "media"
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, MEDIA_ROOT=media):
        response, body = _ready(client)

    assert response.status_code == 503
    assert body["checks"]["storage"]["status"] == "fail"
    assert str(tmp_path) not in response.content.decode()


def test_an_unreachable_database_fails_readyz_naming_the_database(client, monkeypatch, settings):
    unreachable = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "pledgeproof",
                "USER": "pledgeproof",
                "PASSWORD": "hunter2-database-password",
                "HOST": "127.0.0.1",
                "PORT": str(dead_port()),
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    monkeypatch.setattr(health, "connections", unreachable)
    try:
        response, body = _ready(client)
    finally:
        unreachable.close_all()

    assert response.status_code == 503
    assert body["checks"]["database"] == {
        "status": "fail",
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }
    assert "hunter2" not in response.content.decode()


def test_a_failed_check_is_logged_with_its_reason(client, caplog):
    with override_settings(CACHES=redis_cache_at(f"redis://127.0.0.1:{dead_port()}/0")):
        _ready(client)

    (record,) = [r for r in caplog.records if r.name == "pledgeproof.health"]
    assert record.levelname == "WARNING"
    assert "cache failed: ConnectionError" in record.getMessage()
    assert "Connection refused" in record.getMessage()


# Marked postgres so that it runs in CI's pass with services (PostgreSQL and Redis), not the SQLite one.
@pytest.mark.postgres
def test_readyz_passes_with_a_real_redis_cache_and_broker(client):
    url = redis_url()
    with override_settings(CACHES=redis_cache_at(url), CELERY_BROKER_URL=url):
        response, body = _ready(client)

    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "cache", "broker", "storage"}
