"""Concurrent builds of a period's open data on PostgreSQL: they take turns on the period's row, the
last one holds the latest data, and requests that find the files missing build them once."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from commitments.models import ReportStatus
from commitments.services.reports import report_create
from reports.models import OpenDataFile, OpenDataSet
from reports.opendata import exports
from reports.opendata.services import opendata_rebuild
from tests.builders import advance
from tests.reports.opendata.test_open_data import fetch, file_url, new_org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_pdfs(settings):
    settings.PDF_RENDER_ON_PUBLISH = False


def wait_for_lock_waiters(count: int) -> None:
    """Until `count` other sessions wait for a lock (a row lock or a unique key being inserted)."""
    deadline = time.monotonic() + 30  # a bound for a broken build, not a measure
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} sessions never waited for the build's lock")


def publish(framework, period, reviewer, admin, name, slug):
    organisation, officer = new_org(framework, name, slug)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    return advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=admin)


def stored_bytes(name: str) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(OpenDataFile.objects.get(name=name).storage_name, "rb") as handle:
        return handle.read()


def test_a_build_started_during_another_waits_for_it_and_stores_the_newer_data(
    on_postgres, framework, period, reviewer, program_admin, monkeypatch
):
    publish(framework, period, reviewer, program_admin, "First Lab", "first-lab")  # builds, after commit
    go = threading.Event()
    read = threading.Event()
    build = exports.period_files

    def stalling(*, period):
        files = build(period=period)
        if threading.current_thread().name == "stale-build":
            read.set()  # it has read the data: one publication
            go.wait(30)
        return files

    monkeypatch.setattr(exports, "period_files", stalling)
    errors = []

    def run(target):
        def body():
            try:
                target()
            except BaseException as exc:  # reported by the test, not lost in the thread
                errors.append(exc)
            finally:
                connection.close()

        return body

    stale = threading.Thread(target=run(lambda: opendata_rebuild(period.pk)), name="stale-build")
    stale.start()
    assert read.wait(30)
    # A second publication commits while the stale build holds the lock; its own rebuild (run
    # after commit, eagerly) has to wait for the lock.
    newer = threading.Thread(
        target=run(lambda: publish(framework, period, reviewer, program_admin, "Second Lab", "second-lab")),
        name="publication",
    )
    newer.start()
    wait_for_lock_waiters(1)
    go.set()
    stale.join(30)
    newer.join(30)

    assert errors == []
    monkeypatch.setattr(exports, "period_files", build)
    assert b"second-lab" in stored_bytes("items.csv")
    assert stored_bytes("data.json") == build(period=period)["data.json"]
    response = fetch(Client(), file_url("matrix.csv"))
    assert b"second-lab" in response.body


@pytest.mark.parametrize("missing", ["never built", "gone from storage"])
def test_requests_that_find_the_files_missing_build_them_once(
    on_postgres, framework, period, reviewer, program_admin, monkeypatch, missing
):
    from django.core.files.storage import default_storage

    publish(framework, period, reviewer, program_admin, "Only Lab", "only-lab")
    if missing == "never built":  # as for data published before files were stored
        OpenDataFile.objects.all().delete()
        OpenDataSet.objects.all().delete()
    else:
        default_storage.delete(OpenDataFile.objects.get(name="items.csv").storage_name)
    go = threading.Event()
    builds = []
    build = exports.period_files

    def counting(*, period):
        builds.append(period.pk)
        go.wait(30)  # until the other requests wait for this build's lock
        return build(period=period)

    monkeypatch.setattr(exports, "period_files", counting)
    results = []

    def download():
        try:
            results.append(fetch(Client(), file_url("items.csv")))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_for_lock_waiters(3)
    go.set()
    for thread in threads:
        thread.join(30)

    assert builds == [period.pk]
    assert [response.status_code for response in results] == [200, 200, 200, 200]
    assert len({response.body for response in results}) == 1
    assert results[0].body == build(period=period)["items.csv"] == stored_bytes("items.csv")
