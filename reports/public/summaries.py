"""Counts over a set of published items, and the level and text they add up to."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from commitments.vocabulary import AssuranceLevel, ImplementationStatus
from reports.public.snapshots import is_verified


@dataclass
class Summary:
    """Counts over a set of published items (a principle, a report, a whole period)."""

    total: int = 0
    implemented: int = 0
    not_applicable: int = 0
    verified: int = 0
    reported: bool = True
    # Items an independent auditor found to conform, in an attested engagement (audits.selectors).
    audited: int = 0

    @classmethod
    def of(cls, items: Iterable[dict[str, Any] | None], audits: Mapping[str, Any] | None = None) -> "Summary":
        """Counts over published items; `audits` (node id → PublicAudit) adds the attested findings."""
        summary = cls()
        for item in items:
            if item is None:
                continue
            summary.total += 1
            summary.implemented += item["status"] == ImplementationStatus.IMPLEMENTED
            summary.not_applicable += item["status"] == ImplementationStatus.NOT_APPLICABLE
            summary.verified += is_verified(item)
            audit = audits.get(item["node"]) if audits else None
            summary.audited += audit is not None and audit.conforms
        return summary

    def add(self, other: "Summary") -> None:
        self.total += other.total
        self.implemented += other.implemented
        self.not_applicable += other.not_applicable
        self.verified += other.verified
        self.audited += other.audited

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def self_reported_only(self) -> int:
        return self.total - self.verified

    @property
    def implemented_pct(self) -> int:
        return round(100 * self.implemented / self.applicable) if self.applicable else 0

    @property
    def verified_pct(self) -> int:
        return round(100 * self.verified / self.total) if self.total else 0

    @property
    def level(self) -> AssuranceLevel:
        if not self.reported or not self.total:
            return AssuranceLevel.NOT_REPORTED
        if self.audited == self.total:
            return AssuranceLevel.INDEPENDENTLY_AUDITED
        if self.verified == self.total:
            return AssuranceLevel.REVIEWER_VERIFIED
        return AssuranceLevel.PARTLY_VERIFIED if self.verified else AssuranceLevel.SELF_REPORTED

    @property
    def text(self) -> str:
        if not self.reported or not self.total:
            return AssuranceLevel.NOT_REPORTED.label
        audited = f" · {self.audited} audited" if self.audited else ""
        if not self.applicable:
            return f"Not applicable · {self.verified} verified{audited}"
        text = f"{self.implemented}/{self.applicable} implemented · {self.verified} verified{audited}"
        return f"{text} · {self.not_applicable} n/a" if self.not_applicable else text
