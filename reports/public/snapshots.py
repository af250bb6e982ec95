"""Reading published snapshots, and finding the publications to read (a 404 when there is none)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404

from commitments.models import ReportingPeriod
from commitments.vocabulary import AssuranceLevel, counts_as_verified, verdict_level
from reports.models import Publication

if TYPE_CHECKING:
    from audits.selectors import PublicAudit


def snapshot(publication: Publication) -> dict[str, Any]:
    """The published JSON, parsed once per publication object."""
    cached = publication.__dict__.get("_parsed_snapshot")
    if cached is None:
        cached = json.loads(publication.snapshot)
        publication.__dict__["_parsed_snapshot"] = cached
    return cached


def snapshot_items(publication: Publication) -> dict[str, dict[str, Any]]:
    return {item["node"]: item for item in snapshot(publication)["items"]}


def item_level(item: dict[str, Any] | None, audit: PublicAudit | None = None) -> AssuranceLevel:
    """The assurance level of a published item; None is an item the report lacks.

    `audit` is the item's attested audit finding (audits.selectors): a claim the auditor found
    to conform is independently audited; any other finding leaves the reviewer's level.
    """
    if item is None:
        return AssuranceLevel.NOT_REPORTED
    if audit is not None and audit.level is not None:
        return audit.level
    return verdict_level(item.get("verdict"))


def is_verified(item: dict[str, Any] | None) -> bool:
    return item is not None and counts_as_verified(item.get("verdict"))


def current_publications(period: ReportingPeriod) -> dict[int, Publication]:
    """Organisation id → the current publication of its report for the period."""
    publications = Publication.objects.current().filter(report__period=period).select_related("report")
    return {p.report.organisation_id: p for p in publications}


def publication_get(
    *, slug: str, framework_key: str, period_label: str, version: int | None = None
) -> Publication:
    """The current (or the given) version of an organisation's published report, or 404."""
    publications = Publication.objects.filter(
        report__organisation__slug=slug,
        report__period__framework__key=framework_key,
        report__period__label=period_label,
    ).select_related("report__organisation", "report__period__framework")
    publications = publications.filter(version=version) if version is not None else publications.current()
    publication = publications.order_by("-report__period__framework__version").first()
    if publication is None:
        raise Http404("No published report for this organisation and period.")
    return publication


def published_reports() -> QuerySet[Publication]:
    """The current publication of every published report, with what their list shows."""
    return Publication.objects.current().select_related("report__organisation", "report__period__framework")


def publication_of_report(*, report_id: int, version: int | None = None) -> Publication:
    """The current (or the given) version of a published report, by the report's id, or 404.

    A report that was never published is as unknown as an id never issued.
    """
    publications = Publication.objects.filter(report_id=report_id).select_related(
        "report__organisation", "report__period__framework"
    )
    publications = publications.filter(version=version) if version is not None else publications.current()
    publication = publications.first()
    if publication is None:
        raise Http404("No published report with this id.")
    return publication


def publication_versions(publication: Publication) -> list[Publication]:
    """Every published version of the publication's report, oldest first."""
    return list(Publication.objects.filter(report_id=publication.report_id).order_by("version"))


def public_evidence_file(
    *, slug: str, framework_key: str, period_label: str, evidence_id: int
) -> dict[str, Any]:
    """A public file's entry as a published snapshot (current or superseded) lists it, or 404.

    Read from the snapshots, never from the live evidence rows: a file is public only if a
    version of the report that was published says so. Restricted files, links and files of
    unpublished reports are a 404 like unknown ids, so a miss says nothing about what exists.
    """
    publications = Publication.objects.filter(
        report__organisation__slug=slug,
        report__period__framework__key=framework_key,
        report__period__label=period_label,
    ).order_by("-version")
    for publication in publications:
        for item in snapshot(publication)["items"]:
            for entry in item["evidence"]:
                if (
                    entry["id"] == evidence_id
                    and entry["visibility"] == "public"
                    and entry["kind"] == "file"
                    and entry["sha256"]
                ):
                    return entry
    raise Http404("No such public file.")
