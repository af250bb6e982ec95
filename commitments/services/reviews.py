"""Conversation around a report: comment threads and the company's right of reply."""

from django.db import transaction

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, ValidationFailed
from commitments.markdown import plain_text_check
from commitments.models import Comment, CompanyResponse, ItemResponse, ReportStatus
from commitments.services.ledger import ledger_append
from commitments.services.reports import report_lock
from commitments.vocabulary import LedgerEvent


@transaction.atomic
def comment_add(*, item: ItemResponse, acting_user: User, body: str) -> Comment:
    """Reviewers and the organisation's officers and contributors discuss an item.

    Comments are internal: never public, and not part of what the report says, so no ledger entry.
    """
    report = report_lock(item.report_id)
    access.require(acting_user, access.Action.COMMENT, report)
    if report.status == ReportStatus.PUBLISHED:
        raise InvalidTransition("The report is published; its review conversation is closed.")
    if not body.strip():
        raise ValidationFailed("A comment cannot be empty.", {"body": ["Write a comment."]})
    plain_text_check(body, field="body")
    return Comment.objects.create(item=item, author=acting_user, body=body.strip())


@transaction.atomic
def company_response_add(*, item: ItemResponse, acting_user: User, body: str) -> CompanyResponse:
    """The officer's reply to the reviewer's verdict, shown beside it once published."""
    report = report_lock(item.report_id)
    access.require(acting_user, access.Action.RESPOND, report)
    if report.status != ReportStatus.VERIFIED:
        raise InvalidTransition("A company response can be added after verification and before publication.")
    if not body.strip():
        raise ValidationFailed("A response cannot be empty.", {"body": ["Write the response."]})
    plain_text_check(body, field="body")
    response = CompanyResponse.objects.create(item=item, author=acting_user, body=body.strip())
    ledger_append(
        event=LedgerEvent.ITEM_COMPANY_RESPONSE_ADDED,
        subject=response,
        actor=acting_user,
        report_id=report.pk,
        data={"node": item.node.node_id, "body": response.body},
    )
    return response
