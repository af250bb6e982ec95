"""Open data built once: stored when a publication or correction changes it, served from storage
with ETag and Last-Modified, conditional requests answered, a missing or stale file rebuilt once."""

import datetime
import hashlib
import logging
from io import StringIO

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.http import http_date

from commitments.models import ReportStatus
from commitments.services.reports import report_create
from reports.models import OpenDataFile, OpenDataSet, Publication
from reports.opendata import exports
from reports.services import publication_correct
from tests.builders import advance
from tests.reports.opendata.test_open_data import FILES, document_of, fetch, file_url, new_org

BUILT = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def builds(monkeypatch):
    """Counts the builds of a period's files (each reads the data set and makes every file)."""
    calls = []
    build = exports.period_files

    def counting(*, period):
        calls.append(period.pk)
        return build(period=period)

    monkeypatch.setattr(exports, "period_files", counting)
    return calls


@pytest.fixture
def published(report, officer, reviewer, program_admin, django_capture_on_commit_callbacks, settings):
    """Published through the services, with what they queue after commit run (eager Celery)."""
    settings.PDF_RENDER_ON_PUBLISH = False  # not what these tests are about, and slow
    with time_machine.travel(BUILT, tick=False), django_capture_on_commit_callbacks(execute=True):
        return advance(
            report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin
        )


def stored(name):
    return OpenDataFile.objects.get(name=name)


def read_stored(name):
    with default_storage.open(stored(name).storage_name, "rb") as handle:
        return handle.read()


# --- built once -------------------------------------------------------------------------------


def test_publishing_builds_and_stores_every_file_with_its_checksum_size_and_time(published, period):
    files = {row.name: row for row in OpenDataFile.objects.filter(dataset__period=period)}

    assert sorted(files) == sorted(FILES)
    for name, row in files.items():
        content = read_stored(name)
        assert row.sha256 == hashlib.sha256(content).hexdigest(), name
        assert row.size_bytes == len(content), name
        assert row.built_at == BUILT
        assert row.storage_name == f"opendata/{period.pk}/{row.sha256}/{name}"
    assert OpenDataSet.objects.get(period=period).source_publication_id == Publication.objects.get().pk


def test_downloads_serve_the_stored_files_without_building_them_again(client, published, builds):
    first = {name: fetch(client, file_url(name)) for name in FILES}
    second = {name: fetch(client, file_url(name)) for name in FILES}

    assert builds == []
    for name in FILES:
        assert first[name].status_code == second[name].status_code == 200
        assert first[name].body == second[name].body == read_stored(name)


def test_the_stored_files_are_byte_for_byte_what_the_builder_makes(client, published, period):
    # What the view served before files were stored: the builder's output, made per request.
    made = exports.period_files(period=period)

    for name in FILES:
        assert fetch(client, file_url(name)).body == made[name], name


def test_demo_data_is_served_byte_for_byte_as_the_builder_makes_it(client, db, settings):
    from reports.opendata.dataset import open_data_periods

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    periods = open_data_periods()

    assert periods
    for period in periods:
        made = exports.period_files(period=period)
        for name in FILES:
            url = file_url(name, framework=period.framework.key, period=period.label)
            assert fetch(client, url).body == made[name], (period.label, name)


def test_a_file_response_carries_etag_last_modified_length_and_cache_headers(client, published):
    response = fetch(client, file_url("items.csv"))

    row = stored("items.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["ETag"] == f'"{row.sha256}"'
    assert response["Last-Modified"] == http_date(BUILT.timestamp())
    assert response["Content-Length"] == str(len(response.body)) == str(row.size_bytes)
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="items.csv"'
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_correction_rebuilds_the_files_with_a_new_etag_and_drops_the_old_ones(
    client, published, program_admin, django_capture_on_commit_callbacks, builds
):
    before = fetch(client, file_url("items.csv"))
    old_storage_name = stored("items.csv").storage_name
    licence_before = stored("LICENSE.txt")
    organisation = published.organisation
    organisation.name = "Northwind Models Ltd"
    organisation.save(update_fields=["name"])

    later = BUILT + datetime.timedelta(days=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        publication_correct(report=published, acting_user=program_admin, reason="Legal name updated.")
    after = fetch(client, file_url("items.csv"), If_None_Match=before["ETag"])

    assert builds == [published.period_id]  # by the correction, not by the request
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert b"Northwind Models Ltd" in after.body
    assert after["Last-Modified"] == http_date(later.timestamp())
    assert not default_storage.exists(old_storage_name)
    # A file whose bytes did not change keeps its name and build time.
    assert stored("LICENSE.txt").storage_name == licence_before.storage_name
    assert stored("LICENSE.txt").built_at == BUILT


def test_a_publication_is_saved_even_when_its_rebuild_cannot_be_queued(
    client, report, officer, reviewer, program_admin, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from outbox.models import OutboxEntry, OutboxKind
    from reports import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.opendata_rebuild_task, "delay", broker_down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)

    assert Publication.objects.count() == 1
    assert not OpenDataFile.objects.exists()
    # The rebuild waits in the outbox for the broker, and says so.
    waiting = OutboxEntry.objects.pending().get(kind=OutboxKind.OPENDATA_REBUILD)
    assert "broker down" in waiting.last_error
    assert "opendata_rebuild" in caplog.text and "stays pending" in caplog.text
    assert fetch(client, file_url("matrix.csv")).status_code == 200  # the first request builds them


# --- conditional requests ----------------------------------------------------------------------


def test_if_none_match_with_the_etag_answers_304_without_a_body(client, published):
    etag = fetch(client, file_url("data.json"))["ETag"]

    response = fetch(client, file_url("data.json"), If_None_Match=etag)

    assert response.status_code == 304
    assert response.body == b""
    assert response["ETag"] == etag
    assert response["Last-Modified"] == http_date(BUILT.timestamp())
    assert response["Cache-Control"] == "public, max-age=60"


def test_if_none_match_with_another_etag_or_a_weak_one_of_this_file(client, published):
    etag = fetch(client, file_url("data.json"))["ETag"]

    assert fetch(client, file_url("data.json"), If_None_Match='"0000"').status_code == 200
    assert fetch(client, file_url("data.json"), If_None_Match=f"W/{etag}").status_code == 304
    assert fetch(client, file_url("data.json"), If_None_Match=f'"0000", {etag}').status_code == 304


def test_if_modified_since_answers_304_from_the_build_time_on(client, published):
    at_build = http_date(BUILT.timestamp())
    before_build = http_date((BUILT - datetime.timedelta(seconds=1)).timestamp())

    assert fetch(client, file_url("items.csv"), If_Modified_Since=at_build).status_code == 304
    assert fetch(client, file_url("items.csv"), If_Modified_Since=before_build).status_code == 200


def test_if_none_match_wins_over_if_modified_since(client, published):
    response = fetch(
        client, file_url("items.csv"), If_None_Match='"other"', If_Modified_Since=http_date(BUILT.timestamp())
    )

    assert response.status_code == 200


def test_head_answers_the_headers_without_the_body(client, published):
    row = stored("matrix.csv")

    response = client.head(file_url("matrix.csv"))
    unchanged = client.head(file_url("matrix.csv"), headers={"If-None-Match": f'"{row.sha256}"'})

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(row.size_bytes)
    assert response["ETag"] == f'"{row.sha256}"'
    assert unchanged.status_code == 304


def test_a_failed_if_match_answers_412(client, published):
    row = stored("matrix.csv")

    assert fetch(client, file_url("matrix.csv"), If_Match='"0000"').status_code == 412
    assert fetch(client, file_url("matrix.csv"), If_Match=f'"{row.sha256}"').status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "not a date",
        "Mon, 99 Foo 99999 99:99:99 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT" * 1000,
        "99999999999999999999",
        "\x00\x01",
        "",
    ],
)
def test_a_malformed_if_modified_since_is_ignored(client, published, value):
    response = fetch(client, file_url("items.csv"), If_Modified_Since=value)

    assert response.status_code == 200
    assert response.body == read_stored("items.csv")


def test_a_huge_if_none_match_list_is_answered(client, published):
    etag = stored("items.csv").sha256
    others = ", ".join(f'"{n:064x}"' for n in range(20_000))  # about 1.4 MB

    assert fetch(client, file_url("items.csv"), If_None_Match=others).status_code == 200
    assert fetch(client, file_url("items.csv"), If_None_Match=f'{others}, "{etag}"').status_code == 304


@pytest.mark.parametrize("value", ['"unterminated', "W/", ",,,,", '"a" "b"', "\u00e9\u00e9", "x" * 100_000])
def test_a_malformed_if_none_match_is_no_match(client, published, value):
    assert fetch(client, file_url("items.csv"), If_None_Match=value).status_code == 200


def test_if_none_match_star_matches_an_existing_file(client, published):
    assert fetch(client, file_url("items.csv"), If_None_Match="*").status_code == 304


# --- access ------------------------------------------------------------------------------------


def test_every_visitor_gets_the_same_public_file(client, published, other_officer, viewer, reviewer):
    anonymous = fetch(client, file_url("data.json"))
    others = []
    for user in (other_officer, viewer, reviewer):
        client.force_login(user)
        others.append(fetch(client, file_url("data.json")))
        client.logout()

    assert anonymous.status_code == 200
    assert [response.status_code for response in others] == [200, 200, 200]
    assert {response.body for response in others} == {anonymous.body}


def test_a_period_with_nothing_published_has_no_files_and_builds_none(
    client, framework, period, reviewer, program_admin, builds
):
    organisation, officer = new_org(framework, "Verified Only", "verified-only")
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    advance(report, ReportStatus.VERIFIED, officer=officer, reviewer=reviewer)

    assert fetch(client, file_url("items.csv")).status_code == 404
    assert fetch(client, file_url("items.csv"), If_None_Match="*").status_code == 404
    assert builds == []
    assert not OpenDataSet.objects.exists()


def test_a_report_published_later_is_in_the_files_and_unpublished_ones_never_are(
    client, published, framework, period, reviewer, program_admin, django_capture_on_commit_callbacks
):
    verified_org, verified_officer = new_org(framework, "Still Verifying", "still-verifying")
    verifying = report_create(organisation=verified_org, period=period, acting_user=verified_officer)
    advance(verifying, ReportStatus.VERIFIED, officer=verified_officer, reviewer=reviewer)
    later_org, later_officer = new_org(framework, "Later Lab", "later-lab")
    later = report_create(organisation=later_org, period=period, acting_user=later_officer)
    with django_capture_on_commit_callbacks(execute=True):
        advance(later, ReportStatus.PUBLISHED, officer=later_officer, reviewer=reviewer, admin=program_admin)

    items = fetch(client, file_url("items.csv")).body.decode()
    document = document_of(fetch(client, file_url("data.json")))

    assert "later-lab" in items
    assert "still-verifying" not in items
    listed = {org["slug"]: org for org in document["organisations"]}
    assert (listed["still-verifying"]["reported"], listed["still-verifying"]["items"]) == (False, [])
    assert listed["later-lab"]["reported"] is True


# --- missing or stale files ---------------------------------------------------------------------


def test_files_never_built_are_built_once_by_the_first_request(
    client, report, officer, reviewer, program_admin, builds
):
    # Published with the after-commit rebuild not run, as for data published before files were stored.
    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    assert not OpenDataFile.objects.exists()

    first = fetch(client, file_url("items.csv"))
    second = fetch(client, file_url("matrix.csv"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert builds == [report.period_id]
    assert first.body == read_stored("items.csv")


def test_a_file_missing_from_storage_is_rebuilt_once(client, published, builds):
    fetch(client, file_url("items.csv"))  # looked up and cached
    default_storage.delete(stored("items.csv").storage_name)

    first = fetch(client, file_url("items.csv"))
    second = fetch(client, file_url("items.csv"))

    assert first.status_code == second.status_code == 200
    assert builds == [published.period_id]
    assert first.body == second.body == exports.period_files(period=published.period)["items.csv"]


def test_a_build_interrupted_mid_write_is_replaced_not_served(published, period):
    from reports.opendata.services import opendata_rebuild, opendata_storage_name

    row = stored("items.csv")
    default_storage.delete(row.storage_name)
    with default_storage.open(row.storage_name, "wb") as half:  # what a crash mid-write leaves
        half.write(b"organisation,orga")

    opendata_rebuild(period.pk)

    assert read_stored("items.csv") == exports.period_files(period=period)["items.csv"]
    assert stored("items.csv").storage_name == opendata_storage_name(
        period_id=period.pk, sha256=row.sha256, name="items.csv"
    )


def test_files_older_than_the_newest_publication_are_rebuilt_by_the_next_request(
    client, published, program_admin, builds
):
    # A correction whose queued rebuild was lost (here: on-commit callbacks not run).
    organisation = published.organisation
    organisation.name = "Renamed Lab"
    organisation.save(update_fields=["name"])
    publication_correct(report=published, acting_user=program_admin, reason="Renamed.")

    response = fetch(client, file_url("matrix.csv"))
    again = fetch(client, file_url("matrix.csv"))

    assert b"Renamed Lab" in response.body
    assert again.body == response.body
    assert builds == [published.period_id]


# --- storage, index page and command ------------------------------------------------------------


def test_files_go_through_default_storage_with_no_local_path(
    client, report, officer, reviewer, program_admin
):
    from django.core.files.storage import InMemoryStorage, storages
    from django.test import override_settings

    advance(report, ReportStatus.PUBLISHED, officer=officer, reviewer=reviewer, admin=program_admin)
    in_memory = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=in_memory):
        assert isinstance(storages["default"], InMemoryStorage)
        response = fetch(client, file_url("items.csv"))
        row = stored("items.csv")
        assert storages["default"].exists(row.storage_name)

    assert response.status_code == 200
    assert hashlib.sha256(response.body).hexdigest() == row.sha256


def test_the_index_lists_each_files_size_and_checksum(client, published):
    page = fetch(client, "/data/").body.decode()

    for name in FILES:
        assert stored(name).sha256 in page, name
    assert "Sizes and SHA-256 checksums" in page


def test_the_index_lists_no_checksums_while_the_files_are_stale(client, published, program_admin):
    old = stored("items.csv").sha256
    organisation = published.organisation
    organisation.name = "Renamed Lab"
    organisation.save(update_fields=["name"])
    publication_correct(report=published, acting_user=program_admin, reason="Renamed.")

    page = fetch(client, "/data/").body.decode()

    assert old not in page
    assert "Sizes and SHA-256 checksums" not in page


def test_build_opendata_rebuilds_every_published_period(published, period, builds):
    out = StringIO()

    call_command("build_opendata", stdout=out)

    assert builds == [period.pk]
    assert stored("items.csv").sha256 in out.getvalue()
    assert "Built the open data of 1 period(s)." in out.getvalue()


def test_after_build_opendata_the_next_download_serves_the_new_files(
    client, published, period, django_capture_on_commit_callbacks
):
    before = fetch(client, file_url("matrix.csv"))
    organisation = published.organisation
    organisation.name = "Renamed Without Correction"  # a change no publication announces
    organisation.save(update_fields=["name"])

    with django_capture_on_commit_callbacks(execute=True):
        call_command("build_opendata", "--period", str(period.pk), stdout=StringIO())
    after = fetch(client, file_url("matrix.csv"))

    assert b"Renamed Without Correction" not in before.body
    assert b"Renamed Without Correction" in after.body
    assert after["ETag"] != before["ETag"]


def test_build_opendata_for_one_period_and_its_refusals(published, period, framework, builds):
    from tests.builders import period_for

    empty = period_for(framework, label="2027", year=2027)

    call_command("build_opendata", "--period", str(period.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="nothing published"):
        call_command("build_opendata", "--period", str(empty.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="No reporting period"):
        call_command("build_opendata", "--period", "999999", stdout=StringIO())
    assert builds == [period.pk]


def test_seed_scale_builds_each_periods_files_once_at_the_end(db, settings, builds):
    settings.DEBUG = True
    call_command("seed_scale", "--orgs", "2", "--periods", "2", stdout=StringIO(), stderr=StringIO())

    datasets = OpenDataSet.objects.select_related("period")
    assert len(builds) == 2 == datasets.count()
    for dataset in datasets:
        newest = Publication.objects.filter(report__period=dataset.period).order_by("-pk").first()
        assert dataset.source_publication_id == newest.pk
