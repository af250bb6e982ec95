from commitments.models.frameworks import (
    CrosswalkLink,
    Framework,
    FrameworkNode,
    MetricDefinition,
    MetricUnit,
)
from commitments.models.ledger import LedgerEntry, LedgerHead, LedgerImmutableError
from commitments.models.notifications import ReminderSent
from commitments.models.organisations import Commitment, Membership, Organisation, ReportingPeriod
from commitments.models.reports import (
    ChangeRequest,
    Comment,
    CompanyResponse,
    Evidence,
    ImplementationStatus,
    ItemResponse,
    ItemVerdict,
    MetricValue,
    ProgressReport,
    ReportStatus,
    Verdict,
)
from commitments.models.transparency import Checkpoint, MerkleNode

__all__ = [
    "ChangeRequest",
    "Checkpoint",
    "Comment",
    "Commitment",
    "CompanyResponse",
    "CrosswalkLink",
    "Evidence",
    "Framework",
    "FrameworkNode",
    "ImplementationStatus",
    "ItemResponse",
    "ItemVerdict",
    "LedgerEntry",
    "LedgerHead",
    "LedgerImmutableError",
    "Membership",
    "MerkleNode",
    "MetricDefinition",
    "MetricUnit",
    "MetricValue",
    "Organisation",
    "ProgressReport",
    "ReminderSent",
    "ReportStatus",
    "ReportingPeriod",
    "Verdict",
]
