"""The words of the domain, each defined once: report states, implementation statuses, verdicts,
assurance levels and ledger events.

Every page, export, PDF and email takes from here what it says about one of them: the label, the
badge signed-in pages show (a colour class of `.badge` in static/css/app.css) and, where the public
site words something differently, the public wording. The officer and the reviewer therefore see
the same badge for the same verdict, and the public site, the open data and the PDFs never word a
claim differently.

A module of its own rather than the models (commitments.models stores these values and re-exports
the enums): ledger events and assurance levels are no model field's choices, and the template
tags, exports and PDFs read these words without needing a model.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from django.db import models


class Badge(StrEnum):
    """A badge's colour, as its CSS class: one scale for every kind of word."""

    NEUTRAL = ""
    OK = "ok"  # done, and done right
    INFO = "info"  # under way
    WARN = "warn"  # someone has to act on it
    BAD = "bad"  # missing, or not done


@dataclass(frozen=True)
class Absent:
    """The word for something missing, shown among an enum's members (no report, no answer)."""

    value: str
    label: str
    badge: Badge = Badge.NEUTRAL
    code: str = ""


class _Lookup:
    """Stored values come back as plain text (rows, snapshots, ledger payloads), "" or None."""

    @classmethod
    def find(cls, value: object) -> Self | None:
        """The member stored as `value`; None for an empty value or one this version does not know."""
        try:
            return cls(value)  # type: ignore[call-arg]
        except ValueError:
            return None

    @classmethod
    def label_of(cls, value: object, default: str) -> str:
        member = cls.find(value)
        return member.label if member is not None else default  # type: ignore[attr-defined]

    @classmethod
    def badge_of(cls, value: object, default: Badge = Badge.NEUTRAL) -> Badge:
        member = cls.find(value)
        return member.badge if member is not None else default  # type: ignore[attr-defined]


def _words(words: type, columns: str, rows: dict) -> None:
    """Give every member of `words` the attributes named in `columns`, from its row in `rows`.

    One row per member keeps each word's label, badge and wording together, and the check runs
    when the module is imported: a member without its row stops the application from starting,
    rather than a page meeting a word with no badge.
    """
    names = columns.split()
    if set(rows) != set(words):
        raise ValueError(f"{words.__name__}: every member needs exactly one row of {columns}.")
    for member, row in rows.items():
        for name, value in zip(names, row if isinstance(row, tuple) else (row,), strict=True):
            setattr(member, name, value)


# --- a report's states ------------------------------------------------------------------------


class ReportStatus(_Lookup, models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    VERIFIED = "verified", "Verified"
    PUBLISHED = "published", "Published"

    badge: Badge


_words(
    ReportStatus,
    "badge",
    {
        ReportStatus.DRAFT: Badge.NEUTRAL,
        ReportStatus.SUBMITTED: Badge.INFO,
        ReportStatus.IN_REVIEW: Badge.INFO,
        ReportStatus.CHANGES_REQUESTED: Badge.WARN,
        ReportStatus.VERIFIED: Badge.OK,
        ReportStatus.PUBLISHED: Badge.OK,
    },
)

# The report is with its organisation: items, evidence and metrics can be changed, and it is
# (re)submitted from here. In any other state it has been handed in.
EDITABLE_STATES = (ReportStatus.DRAFT, ReportStatus.CHANGES_REQUESTED)
# The report is with the program's reviewers: it is in their queue.
UNDER_REVIEW = (ReportStatus.SUBMITTED, ReportStatus.IN_REVIEW)

# A period the organisation has not opened a report for. Not a state (there is no report), but
# the dashboard, the program overview and its CSV show it among the states.
NO_REPORT = Absent("not_started", "Not started", Badge.BAD)


# --- an item's implementation status ----------------------------------------------------------


class ImplementationStatus(_Lookup, models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    NOT_APPLICABLE = "not_applicable", "Not applicable"

    badge: Badge
    # Two letters for the program summary's matrix, where a cell is a few millimetres wide.
    code: str
    # What the status claims, for the methodology page and the PDFs' reading guide.
    definition: str


_words(
    ImplementationStatus,
    "badge code definition",
    {
        ImplementationStatus.NOT_STARTED: (Badge.BAD, "NS", "Nothing has been done yet."),
        ImplementationStatus.PLANNED: (Badge.WARN, "PL", "Work is planned, with no part in place yet."),
        ImplementationStatus.IN_PROGRESS: (
            Badge.INFO,
            "IP",
            "Part of the mitigation is in place; the narrative says what.",
        ),
        ImplementationStatus.IMPLEMENTED: (
            Badge.OK,
            "IM",
            "In place; at least one piece of evidence had to be attached.",
        ),
        ImplementationStatus.NOT_APPLICABLE: (
            Badge.NEUTRAL,
            "NA",
            "Does not apply to this organisation's products; the narrative must say why.",
        ),
    },
)

# An item nobody has given a status yet (stored as ""); the label is the public site's and the PDFs'.
UNANSWERED = Absent("", "No answer", Badge.BAD, code="—")


def status_label(status: str | None) -> str:
    return ImplementationStatus.label_of(status, UNANSWERED.label)


def status_badge(status: str | None) -> Badge:
    return ImplementationStatus.badge_of(status, UNANSWERED.badge)


def status_code(status: str | None) -> str:
    member = ImplementationStatus.find(status)
    return member.code if member is not None else UNANSWERED.code


# --- assurance levels -------------------------------------------------------------------------


class AssuranceLevel(_Lookup, models.TextChoices):
    """How far a published claim has been checked, shown to the public and never blurred.

    An item is not reported, self-reported, reviewer-verified or independently audited;
    PARTLY_VERIFIED only sums up a group of items (a principle) with some of each.
    """

    NOT_REPORTED = "not_reported", "Not reported"
    SELF_REPORTED = "self_reported", "Self-reported"
    PARTLY_VERIFIED = "partly_verified", "Partly verified"
    REVIEWER_VERIFIED = "reviewer_verified", "Reviewer-verified"
    INDEPENDENTLY_AUDITED = "independently_audited", "Independently audited"

    # Shown beside the colour and the words, so that no level depends on seeing colour.
    icon: str
    definition: str


_words(
    AssuranceLevel,
    "icon definition",
    {
        AssuranceLevel.NOT_REPORTED: (
            "○",
            "No published report for this period. The organisation may not have reported, or its "
            "report may still be under review: nothing unpublished is shown here.",
        ),
        AssuranceLevel.SELF_REPORTED: (
            "✎",
            "The organisation's own claim, published after review, but the reviewer did not record "
            "the verdict “verified” for it (the verdict shown on the item page says why).",
        ),
        AssuranceLevel.PARTLY_VERIFIED: (
            "◑",
            "For a principle: some of its mitigations are reviewer-verified, the others only self-reported.",
        ),
        AssuranceLevel.REVIEWER_VERIFIED: (
            "✓",
            "A program reviewer examined the evidence and recorded the verdict “verified”, with a "
            "justification shown on the item page.",
        ),
        AssuranceLevel.INDEPENDENTLY_AUDITED: (
            "★",
            "An independent auditor, engaged for this organisation and period, examined the claim, "
            "found it conforms and signed an attestation, linked from the item page with the opinion.",
        ),
    },
)

ITEM_LEVELS = [
    AssuranceLevel.NOT_REPORTED,
    AssuranceLevel.SELF_REPORTED,
    AssuranceLevel.REVIEWER_VERIFIED,
    AssuranceLevel.INDEPENDENTLY_AUDITED,
]
LEGEND = [
    AssuranceLevel.NOT_REPORTED,
    AssuranceLevel.SELF_REPORTED,
    AssuranceLevel.PARTLY_VERIFIED,
    AssuranceLevel.REVIEWER_VERIFIED,
    AssuranceLevel.INDEPENDENTLY_AUDITED,
]


# --- an independent audit (issue 14) ------------------------------------------------------------


class FindingKind(_Lookup, models.TextChoices):
    """What an auditor found for one item of an engagement."""

    CONFORMS = "conforms", "Conforms"
    OBSERVATION = "observation", "Observation"
    NONCONFORMITY = "nonconformity", "Nonconformity"

    badge: Badge
    public: str  # how the public pages word it


_words(
    FindingKind,
    "badge public",
    {
        FindingKind.CONFORMS: (Badge.OK, "The auditor found the claim conforms"),
        FindingKind.OBSERVATION: (Badge.WARN, "The auditor recorded an observation"),
        FindingKind.NONCONFORMITY: (Badge.BAD, "The auditor found a nonconformity"),
    },
)


class FindingPart(models.TextChoices):
    """What a finding.recorded entry records: the auditor's finding, or the organisation's response
    to it. Each is written by different people at different times, so each has its own entries."""

    FINDING = "finding", "Finding"
    COMPANY_RESPONSE = "company_response", "Company response"


class Opinion(_Lookup, models.TextChoices):
    """The auditor's overall opinion in an attestation (as ISAE 3000 and ISO 19011 word them)."""

    UNQUALIFIED = "unqualified", "Unqualified"
    QUALIFIED = "qualified", "Qualified"
    ADVERSE = "adverse", "Adverse"
    DISCLAIMER = "disclaimer", "Disclaimer of opinion"

    badge: Badge
    definition: str


_words(
    Opinion,
    "badge definition",
    {
        Opinion.UNQUALIFIED: (Badge.OK, "The claims in scope are fairly stated in all material respects."),
        Opinion.QUALIFIED: (
            Badge.WARN,
            "The claims in scope are fairly stated, except for the matters the auditor describes.",
        ),
        Opinion.ADVERSE: (Badge.BAD, "The claims in scope are not fairly stated."),
        Opinion.DISCLAIMER: (
            Badge.BAD,
            "The auditor could not obtain enough evidence to form an opinion.",
        ),
    },
)


class RequestStatus(_Lookup, models.TextChoices):
    """An auditor's evidence request: open until the organisation answers, closed by the auditor."""

    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"

    badge: Badge


_words(
    RequestStatus,
    "badge",
    {RequestStatus.OPEN: Badge.WARN, RequestStatus.ANSWERED: Badge.INFO, RequestStatus.CLOSED: Badge.OK},
)


# --- a reviewer's verdict ---------------------------------------------------------------------


class Verdict(_Lookup, models.TextChoices):
    VERIFIED = "verified", "Verified"
    PARTIALLY_VERIFIED = "partially_verified", "Partially verified"
    NOT_VERIFIED = "not_verified", "Not verified"
    NEEDS_INFORMATION = "needs_information", "Needs information"

    badge: Badge


_words(
    Verdict,
    "badge",
    {
        Verdict.VERIFIED: Badge.OK,
        Verdict.PARTIALLY_VERIFIED: Badge.INFO,
        Verdict.NOT_VERIFIED: Badge.BAD,
        # Asking for information is a request to the organisation, like asking for changes.
        Verdict.NEEDS_INFORMATION: Badge.WARN,
    },
)

NO_VERDICT = Absent("", "No verdict")


def verdict_label(verdict: str | None) -> str:
    return Verdict.label_of(verdict, NO_VERDICT.label)


def verdict_badge(verdict: str | None) -> Badge:
    return Verdict.badge_of(verdict, NO_VERDICT.badge)


def counts_as_verified(verdict: str | None) -> bool:
    """Only an item a reviewer called `verified` counts as verified; anything less stays a claim."""
    return verdict == Verdict.VERIFIED


def verdict_level(verdict: str | None) -> AssuranceLevel:
    """The assurance level of a published claim with this verdict (None: no verdict)."""
    return AssuranceLevel.REVIEWER_VERIFIED if counts_as_verified(verdict) else AssuranceLevel.SELF_REPORTED


# --- ledger events ----------------------------------------------------------------------------


class LedgerEvent(_Lookup, models.TextChoices):
    """Every event the platform appends to the ledger; the label is how a report's history names it."""

    FRAMEWORK_LOADED = "framework.loaded", "Framework loaded"
    REPORT_CREATED = "report.created", "Report opened"
    ITEM_UPDATED = "item.updated", "Item edited"
    EVIDENCE_ADDED = "evidence.added", "Evidence added"
    EVIDENCE_REVISED = "evidence.revised", "Evidence revised"
    REPORT_SUBMITTED = "report.submitted", "Report submitted"
    REPORT_REVIEW_STARTED = "report.review_started", "Review started"
    ITEM_VERDICT_RECORDED = "item.verdict_recorded", "Verdict recorded"
    REPORT_CHANGES_REQUESTED = "report.changes_requested", "Changes requested"
    REPORT_VERIFIED = "report.verified", "Report verified"
    ITEM_COMPANY_RESPONSE_ADDED = "item.company_response_added", "Company response added"
    REPORT_PUBLISHED = "report.published", "Report published"
    PUBLICATION_CREATED = "publication.created", "Publication snapshot stored"
    PUBLICATION_CORRECTED = "publication.corrected", "Correction published"
    ARTIFACT_RENDERED = "artifact.rendered", "Signed PDF issued"
    # Independent audits (issue 14).
    ENGAGEMENT_CREATED = "engagement.created", "Audit engagement created"
    INDEPENDENCE_DECLARED = "engagement.independence_declared", "Auditor's independence declared"
    RESTRICTED_EVIDENCE_ACCESSED = "evidence.restricted_accessed", "Restricted evidence opened"
    EVIDENCE_REQUEST_OPENED = "evidence_request.opened", "Evidence requested by the auditor"
    EVIDENCE_REQUEST_ANSWERED = "evidence_request.answered", "Evidence request answered"
    EVIDENCE_REQUEST_CLOSED = "evidence_request.closed", "Evidence request closed"
    WORKPAPER_SAVED = "workpaper.saved", "Audit workpaper saved"
    WORKPAPER_SIGNED_OFF = "workpaper.signed_off", "Audit workpaper signed off"
    FINDING_RECORDED = "finding.recorded", "Audit finding recorded"
    # In the history of the organisation's next report, where the corrective action is followed up.
    FINDING_FOLLOWED_UP = "finding.followed_up", "Audit corrective action followed up"
    ATTESTATION_SIGNED = "attestation.signed", "Audit attestation signed"


def event_label(event: str) -> str:
    """How a report's history names an entry; an event this version does not know keeps its name."""
    return LedgerEvent.label_of(event, event.replace(".", " ").replace("_", " ").capitalize())
