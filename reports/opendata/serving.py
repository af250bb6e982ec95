"""Open data, served: which stored file a URL names, looked up once per publication, and opened.

A download is the hottest public path there is (a megabyte per request, from anyone), so the
lookup (period, file row, whether a newer publication made it stale) is kept in the public cache
under the publication generation that every publication, correction and open-data build bumps
(reports.cache): a hit runs no query. A cached entry can only ever name an older file than the
database does, and names are content-addressed and deleted once unused, so such an entry either
still holds the same bytes or no longer opens; then the lookup is made again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Subquery
from django.urls import reverse

from commitments.models import ReportingPeriod
from reports.cache import public_cache_set, public_cached
from reports.models import OpenDataFile, OpenDataSet, Publication
from reports.opendata import exports
from reports.opendata.dataset import open_data_period_find
from reports.opendata.services import opendata_rebuild

logger = logging.getLogger(__name__)

CACHE_NAME = "opendata-file"


@dataclass(frozen=True)
class ServedFile:
    period_id: int
    name: str
    storage_name: str
    sha256: str
    size_bytes: int
    built_at_timestamp: float


def _served(stored: OpenDataFile) -> ServedFile:
    return ServedFile(
        period_id=stored.dataset.period_id,
        name=stored.name,
        storage_name=stored.storage_name,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        built_at_timestamp=stored.built_at.timestamp(),
    )


def _current_row(period_id: int, name: str) -> OpenDataFile | None:
    """The stored file, or None when the period has none or its files predate its newest publication."""
    latest = Publication.objects.filter(report__period_id=OuterRef("dataset__period_id")).order_by("-pk")
    found = (
        OpenDataFile.objects.filter(dataset__period_id=period_id, name=name)
        .select_related("dataset")
        .annotate(latest_publication_id=Subquery(latest.values("pk")[:1]))
        .first()
    )
    if found is None or found.dataset.source_publication_id is None:
        return None
    if (
        found.latest_publication_id is not None
        and found.dataset.source_publication_id < found.latest_publication_id
    ):
        return None
    return found


def opendata_file(*, period: ReportingPeriod, name: str) -> OpenDataFile:
    """The period's stored file `name` (one of exports.FILE_NAMES), built first if missing or stale."""
    found = _current_row(period.pk, name)
    if found is None:
        opendata_rebuild(period.pk, only_if_stale=True)
        found = OpenDataFile.objects.select_related("dataset").get(dataset__period_id=period.pk, name=name)
    return found


def _parts(framework_key: str, label: str, name: str) -> dict[str, str]:
    return {"framework": framework_key, "period": label, "file": name}


def opendata_served(*, framework_key: str, label: str, name: str) -> ServedFile | None:
    """The stored file a URL names (None: no published data for that period), built if missing or stale."""

    def look_up() -> ServedFile | None:
        period = open_data_period_find(framework_key=framework_key, label=label)
        return None if period is None else _served(opendata_file(period=period, name=name))

    return public_cached(CACHE_NAME, _parts(framework_key, label, name), look_up)


def opendata_open(served: ServedFile, *, framework_key: str, label: str) -> tuple[ServedFile, File]:
    """The stored file opened for reading (the caller closes it).

    If it is gone (a build since the lookup replaced it, or storage lost it), the lookup is made
    again from the database, rebuilding once if needed, and the cache entry replaced.
    """
    try:
        return served, default_storage.open(served.storage_name, "rb")
    except FileNotFoundError:
        logger.info("Open-data file %s is gone; looking it up again", served.storage_name)
    period = ReportingPeriod.objects.get(pk=served.period_id)
    stored = opendata_file(period=period, name=served.name)
    try:
        handle = default_storage.open(stored.storage_name, "rb")
    except FileNotFoundError:  # the row is current but its file is missing: rebuild it
        logger.warning("Open-data file %s missing from storage; rebuilding", stored.storage_name)
        opendata_rebuild(period.pk, only_if_stale=True)
        stored = opendata_file(period=period, name=served.name)
        handle = default_storage.open(stored.storage_name, "rb")
    fresh = _served(stored)
    public_cache_set(CACHE_NAME, _parts(framework_key, label, served.name), fresh)
    return fresh, handle


def opendata_checksums(periods: list[ReportingPeriod]) -> dict[int, dict[str, OpenDataFile]]:
    """For the index page: each period's current stored files by name (none for a stale period)."""
    latest = Publication.objects.filter(report__period_id=OuterRef("period_id")).order_by("-pk")
    datasets = (
        OpenDataSet.objects.filter(period__in=periods, source_publication_id__isnull=False)
        .annotate(latest_publication_id=Subquery(latest.values("pk")[:1]))
        .prefetch_related("files")
    )
    return {
        dataset.period_id: {stored.name: stored for stored in dataset.files.all()}
        for dataset in datasets
        if dataset.latest_publication_id is None
        or dataset.source_publication_id >= dataset.latest_publication_id
    }


@dataclass(frozen=True)
class IndexedFile:
    name: str
    url: str
    stored: OpenDataFile | None  # None until the files are built (the first download builds them)


@dataclass(frozen=True)
class IndexedPeriod:
    period: ReportingPeriod
    url: str
    attribution: str
    files: list[IndexedFile]


def opendata_index(periods: list[ReportingPeriod]) -> list[IndexedPeriod]:
    """Each period's open-data files: their addresses, and their size and SHA-256 once built.

    What the /data/ pages list, and the API's open-data index (two queries for any number of periods).
    """
    stored = opendata_checksums(periods)
    return [
        IndexedPeriod(
            period=period,
            url=reverse("data:period", args=[period.framework.key, period.label]),
            attribution=exports.attribution(period),
            files=[
                IndexedFile(
                    name=name,
                    url=reverse("data:file", args=[period.framework.key, period.label, name]),
                    stored=stored.get(period.pk, {}).get(name),
                )
                for name in exports.FILE_NAMES
            ],
        )
        for period in periods
    ]
