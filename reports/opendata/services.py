"""Open data, built once: a period's files are built when a publication or correction changes them,
stored through `default_storage` (local files or object storage alike) with their SHA-256, size and
build time, and served from storage.

A build writes every file under a name of its own (the period, the content's SHA-256 and the file
name), then switches the period's rows to the new names in one transaction, so a request reads
either the old files or the new ones, never a file being written. Builds of one period take turns
on the period's OpenDataSet row and read the data only once they hold it, so the build that
finishes last has the latest data. Files no row refers to any more are deleted after the switch
commits; a request that read the old row a moment earlier finds its file gone and asks again.

The stored files are trusted only while they are current: a period whose newest publication is
newer than the one its files were built from is rebuilt by the first request that finds it so
(once, under the same lock), which also covers periods published before files were stored and a
rebuild that was never queued or failed. An audit attested since the files were built also makes
them stale for the rebuild an attestation queues (opendata_rebuild_for_attestation); requests
compare publications only, and the outbox retries that rebuild until it runs.
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.models import Attestation
from commitments.models import ReportingPeriod
from outbox.models import OutboxKind
from outbox.services import record
from reports.cache import public_cache_invalidate_on_commit
from reports.models import OpenDataFile, OpenDataSet, Publication
from reports.opendata import exports

logger = logging.getLogger(__name__)

STORAGE_PREFIX = "opendata"


def opendata_storage_name(*, period_id: int, sha256: str, name: str) -> str:
    # Per period: two periods may hold identical files (mitigations.csv), and each period's
    # builds take turns on their own lock only.
    return f"{STORAGE_PREFIX}/{period_id}/{sha256}/{name}"


def opendata_rebuild_on_commit(period_id: int) -> None:
    """Queue the rebuild of the period's open data once the current transaction commits.

    The one place publication and correction ask for it, through the outbox: a rebuild that could
    not be queued (the broker down) is retried, never raised; meanwhile the first request for a
    file rebuilds the stale files.
    """
    record(OutboxKind.OPENDATA_REBUILD, {"period_id": period_id})


def opendata_rebuild_for_attestation(attestation) -> None:
    """What an attestation (or its correction) changes in public, once the transaction commits:
    the open data of every period in its engagement's scope (audits.csv, data.json), and the
    public pages, which show attested findings (through the outbox, as for a publication).

    To be called by the service that signs an attestation, in its transaction.
    """
    for period_id in attestation.engagement.periods.values_list("pk", flat=True):
        opendata_rebuild_on_commit(period_id)
    public_cache_invalidate_on_commit()


def _latest_publication_id(period_id: int) -> int | None:
    return Publication.objects.filter(report__period_id=period_id).aggregate(top=Max("pk"))["top"]


def opendata_rebuild(period_id: int, *, only_if_stale: bool = False) -> OpenDataSet:
    """Build, store and switch to every open-data file of the period. Idempotent.

    `only_if_stale`: leave the files as they are when they were built from the period's newest
    publication and are all in storage (what a request that found a file missing or stale asks,
    so that requests waiting on the same build do not build again).
    """
    with transaction.atomic():
        OpenDataSet.objects.get_or_create(period_id=period_id)
        dataset = OpenDataSet.objects.select_for_update().get(period_id=period_id)
        # Read under the lock and before the data: the files hold this publication or newer ones.
        latest = _latest_publication_id(period_id)
        previous = {stored.name: stored for stored in dataset.files.all()}
        if only_if_stale and _current(dataset, previous, latest):
            return dataset
        period = ReportingPeriod.objects.select_related("framework").get(pk=period_id)
        unused, changed = _store_and_switch(dataset, exports.period_files(period=period), previous)
        if changed:
            # Served files are looked up through the public cache: its entries now name old files.
            public_cache_invalidate_on_commit()
        dataset.source_publication_id = latest
        dataset.built_at = timezone.now()
        dataset.save(update_fields=["source_publication_id", "built_at"])
        if unused:
            transaction.on_commit(partial(_delete_unreferenced, unused))
    logger.info("Open data of period %s built from publication %s", period_id, latest)
    return dataset


def _store_and_switch(
    dataset: OpenDataSet, files: dict[str, bytes], previous: dict[str, OpenDataFile]
) -> tuple[set[str], bool]:
    """Store each file under its own name and point the rows at them.

    Returns the storage names no longer used, and whether any row changed.
    """
    now = timezone.now()
    stored_names = set()
    changed = set(previous) != set(files)
    for name, content in files.items():
        sha256 = hashlib.sha256(content).hexdigest()
        storage_name = _store(
            opendata_storage_name(period_id=dataset.period_id, sha256=sha256, name=name), content
        )
        stored_names.add(storage_name)
        kept = previous.get(name)
        if kept is not None and kept.storage_name == storage_name:
            continue  # the same bytes: keep their build time, which Last-Modified tells clients
        changed = True
        OpenDataFile.objects.update_or_create(
            dataset=dataset,
            name=name,
            defaults={
                "storage_name": storage_name,
                "sha256": sha256,
                "size_bytes": len(content),
                "built_at": now,
            },
        )
    OpenDataFile.objects.filter(dataset=dataset).exclude(name__in=files).delete()
    return {stored.storage_name for stored in previous.values()} - stored_names, changed


def _current(dataset: OpenDataSet, stored: dict[str, OpenDataFile], latest: int | None) -> bool:
    if dataset.source_publication_id is None or (
        latest is not None and dataset.source_publication_id < latest
    ):
        return False
    if set(stored) != set(exports.FILE_NAMES):
        return False
    if _attested_since(dataset):
        return False
    return all(default_storage.exists(file.storage_name) for file in stored.values())


def _attested_since(dataset: OpenDataSet) -> bool:
    """An attestation covering the period was signed since the files were built (audits.csv and
    data.json hold attested findings). A build that read the data while the attestation's
    transaction was still open, and finished after it was signed, counts as current: the rare
    miss is repaired by the next publication's rebuild."""
    return Attestation.objects.filter(
        engagement__periods=dataset.period_id, signed_at__gte=dataset.built_at
    ).exists()


def _store(name: str, content: bytes) -> str:
    """`content` under `name`; a name already holding other bytes (an interrupted write) is rewritten."""
    if default_storage.exists(name):
        if default_storage.size(name) == len(content):
            return name  # the name is the content's hash: the same bytes
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # stored by someone else between the check and the save: keep theirs
        default_storage.delete(saved)
    return name


def _delete_unreferenced(storage_names: set[str]) -> None:
    still_used = set(
        OpenDataFile.objects.filter(storage_name__in=storage_names).values_list("storage_name", flat=True)
    )
    for name in storage_names - still_used:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete the superseded open-data file %s", name, exc_info=True)
