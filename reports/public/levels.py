"""Assurance levels and the wording of a published claim: status, verdict, level.

The public pages, the open data and the PDFs all take their words from here, so a claim is
never worded differently in two places. The levels are shown to the public, never blurred:
only the verdict "verified" makes a claim reviewer-verified.
"""

from dataclasses import dataclass
from typing import Any

from commitments.models import ImplementationStatus, Verdict


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    icon: str
    definition: str


NOT_REPORTED = Level(
    "not_reported",
    "Not reported",
    "○",
    "No published report for this period. The organisation may not have reported, or its report "
    "may still be under review: nothing unpublished is shown here.",
)
SELF_REPORTED = Level(
    "self_reported",
    "Self-reported",
    "✎",
    "The organisation's own claim, published after review, but the reviewer did not record the "
    "verdict “verified” for it (the verdict shown on the item page says why).",
)
PARTLY_VERIFIED = Level(
    "partly_verified",
    "Partly verified",
    "◑",
    "For a principle: some of its mitigations are reviewer-verified, the others only self-reported.",
)
REVIEWER_VERIFIED = Level(
    "reviewer_verified",
    "Reviewer-verified",
    "✓",
    "A program reviewer examined the evidence and recorded the verdict “verified”, with a "
    "justification shown on the item page.",
)
INDEPENDENTLY_AUDITED = Level(
    "independently_audited",
    "Independently audited",
    "★",
    "An independent auditor, engaged for this organisation and period, attested the claim. "
    "No audit has been completed yet, so no item carries this level.",
)
ITEM_LEVELS = [NOT_REPORTED, SELF_REPORTED, REVIEWER_VERIFIED, INDEPENDENTLY_AUDITED]
LEGEND = [NOT_REPORTED, SELF_REPORTED, PARTLY_VERIFIED, REVIEWER_VERIFIED, INDEPENDENTLY_AUDITED]

STATUS_DEFINITIONS = {
    ImplementationStatus.NOT_STARTED: "Nothing has been done yet.",
    ImplementationStatus.PLANNED: "Work is planned, with no part in place yet.",
    ImplementationStatus.IN_PROGRESS: "Part of the mitigation is in place; the narrative says what.",
    ImplementationStatus.IMPLEMENTED: "In place; at least one piece of evidence had to be attached.",
    ImplementationStatus.NOT_APPLICABLE: "Does not apply to this organisation's products; the "
    "narrative must say why.",
}


def status_label(status: str) -> str:
    return ImplementationStatus(status).label if status in ImplementationStatus.values else "No answer"


def verdict_label(verdict: str | None) -> str:
    return Verdict(verdict).label if verdict in Verdict.values else "No verdict"


def verdict_level(verdict: str | None) -> Level:
    """Only an item a reviewer called `verified` counts as verified; anything less stays a claim."""
    return REVIEWER_VERIFIED if verdict == Verdict.VERIFIED else SELF_REPORTED


def item_level(item: dict[str, Any] | None) -> Level:
    """The level of a published item (snapshot shape); None is an item the report lacks."""
    if item is None:
        return NOT_REPORTED
    return verdict_level(item.get("verdict"))


def is_verified(item: dict[str, Any] | None) -> bool:
    return item_level(item) is REVIEWER_VERIFIED
