"""The public corrections log: every correction, with the items whose published content changed."""

from dataclasses import dataclass
from typing import Any

from reports.models import Publication
from reports.public.changes import Change, changed_items
from reports.public.links import report_url
from reports.public.snapshots import snapshot, snapshot_items


@dataclass
class CorrectionEntry:
    publication: Publication
    previous: Publication
    data: dict[str, Any]
    url: str
    previous_url: str
    changed_items: list[tuple[str, str, list[Change]]]


def public_corrections() -> list[CorrectionEntry]:
    """Every correction, newest first, with the items whose published content changed."""
    publications = (
        Publication.objects.filter(supersedes__isnull=False)
        .select_related("supersedes", "superseded_by")
        .order_by("-published_at", "-pk")
    )
    entries = []
    for publication in publications:
        previous = publication.supersedes
        is_current = not hasattr(publication, "superseded_by")
        entries.append(
            CorrectionEntry(
                publication=publication,
                previous=previous,
                data=snapshot(publication),
                url=report_url(publication, versioned=not is_current),
                previous_url=report_url(previous, versioned=True),
                changed_items=changed_items(snapshot_items(previous), snapshot_items(publication)),
            )
        )
    return entries
