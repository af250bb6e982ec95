"""A period's headline figures: who committed, who published (on time), what their items add up to.

The matrix and the program summary PDF state the same figures, computed here once.
"""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from commitments.models import Commitment, Organisation, ReportingPeriod
from reports.models import Publication
from reports.public.snapshots import current_publications, snapshot
from reports.public.summaries import Summary


@dataclass
class Headline:
    committed: int
    reported: int
    on_time: int
    due_passed: bool
    items: Summary

    @property
    def not_reported(self) -> int:
        return self.committed - self.reported


def on_time(publication: Publication, period: ReportingPeriod) -> bool:
    """Whether the published report was first submitted by the period's due date."""
    first = publication.report.first_submitted_at
    return bool(first and timezone.localdate(first) <= period.due_on)


def committed_organisations(commitments: list[Commitment], period: ReportingPeriod) -> list[Organisation]:
    """Organisations that had signed the framework by the end of the period, by name."""
    found: dict[int, Organisation] = {}
    for commitment in commitments:
        if commitment.signed_on <= period.ends_on:
            found.setdefault(commitment.organisation_id, commitment.organisation)
    return sorted(found.values(), key=lambda o: o.name.casefold())


def period_headline(
    period: ReportingPeriod, organisations: list[Organisation], publications: dict[int, Publication]
) -> Headline:
    """The figures of one period from its committed organisations and current publications."""
    items = Summary()
    for publication in publications.values():
        items.add(Summary.of(snapshot(publication)["items"]))
    committed_ids = {o.pk for o in organisations}
    return Headline(
        committed=len(organisations),
        reported=sum(1 for org_id in publications if org_id in committed_ids),
        on_time=sum(
            1 for org_id, p in publications.items() if org_id in committed_ids and on_time(p, period)
        ),
        due_passed=period.due_on < timezone.localdate(),
        items=items,
    )


def headline_for(period: ReportingPeriod, commitments: list[Commitment]) -> Headline:
    """The figures of a period from every commitment to its framework (any period's)."""
    return period_headline(period, committed_organisations(commitments, period), current_publications(period))


def _delta(label: str, now: int, before: int, unit: str) -> dict[str, Any]:
    diff = now - before
    if diff > 0:
        return {"label": label, "text": f"up {diff}{unit}", "icon": "▲", "direction": "up"}
    if diff < 0:
        return {"label": label, "text": f"down {-diff}{unit}", "icon": "▼", "direction": "down"}
    return {"label": label, "text": "no change", "icon": "=", "direction": "same"}


def headline_changes(now: Headline, before: Headline) -> list[dict[str, Any]]:
    """Headline figures against those of an earlier period, as short sentences."""
    return [
        _delta("Organisations with a published report", now.reported, before.reported, ""),
        _delta("Items reviewer-verified", now.items.verified_pct, before.items.verified_pct, " pts"),
        _delta(
            "Applicable items implemented", now.items.implemented_pct, before.items.implemented_pct, " pts"
        ),
    ]
