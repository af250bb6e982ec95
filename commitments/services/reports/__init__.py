"""Progress reports, in four modules (one module past 500 lines is split by topic):

- transitions.py: the state machine. The table of allowed moves, report_lock, report_transition
  (the only writer of a report's status) and the moves people make: submit (and resubmit), start
  review, request changes, verify. report_publish (reports.services) calls report_transition too.
- items.py: opening a report with its items, recording verdicts.
- edits.py: answering items, one or many at once (one code path, the rules written once).
- content.py: what a report says, read for the transitions: submission problems and the digest.

Callers import from this package; the names below are its public interface.
"""

from commitments.services.reports.content import (
    decimal_text,
    report_content_digest,
    report_submission_problems,
)
from commitments.services.reports.edits import ItemEdit, MetricInput, item_update, items_update
from commitments.services.reports.items import item_verdict_record, report_create
from commitments.services.reports.transitions import (
    EDITABLE_STATES,
    TRANSITIONS,
    Transition,
    report_changes_request,
    report_lock,
    report_review_start,
    report_submit,
    report_transition,
    report_unreviewed_items,
    report_verify,
)

__all__ = [
    "EDITABLE_STATES",
    "ItemEdit",
    "TRANSITIONS",
    "MetricInput",
    "Transition",
    "decimal_text",
    "item_update",
    "item_verdict_record",
    "items_update",
    "report_changes_request",
    "report_content_digest",
    "report_create",
    "report_lock",
    "report_review_start",
    "report_submission_problems",
    "report_submit",
    "report_transition",
    "report_unreviewed_items",
    "report_verify",
]
