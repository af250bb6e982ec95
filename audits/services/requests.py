"""Evidence requests (issue 14): the auditor asks for more on an item, the organisation's officers
answer with a reply and/or a file, the auditor closes the request. One function per step, each in
one transaction with its ledger entry (report_id is the item's report, so the step shows in that
report's history).

Who may: the access gate. Opening and closing take the engagement's AUDIT action (an auditor of
it, declared, while it is open) and the item's report in the engagement's scope, checked against
this engagement (the gate's AUDIT on a report would accept any engagement of the auditor's that
covers it). Answering takes RESPOND on the item's report: the organisation's officers.

A file given in answer is checked exactly as an evidence upload is (commitments.evidence_storage:
size, name, whole-content sniffing; images, archives and programs refused) and stored the same
way, content-addressed. It is kept on the reply, not added to the item as an Evidence row, on
purpose: the report may be under review or published, and an Evidence row would change what it
says underneath the reviewer (the submission's content digest counts the item's evidence) and
would enter the next published correction without ever having been reviewed. Published snapshots
are never touched either way; this keeps the live report as it was verified too. What the auditor
was given is in the request's thread and, with its hash, in the ledger.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audits.models import Engagement, EvidenceRequest, EvidenceRequestReply
from audits.selectors_requests import auditor_emails, in_scope, officer_emails
from commitments import access
from commitments.emails import email_queue
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.evidence_storage import StoredBlob, delete_blob, store_evidence_file
from commitments.models import Evidence, ItemResponse
from commitments.services.evidence import ACCESS_KINDS, reader_role
from commitments.services.ledger import ledger_append
from commitments.vocabulary import LedgerEvent, RequestStatus

logger = logging.getLogger(__name__)

MESSAGE_MAX = 5_000
OUT_OF_SCOPE = "This item is not in the engagement's scope (its organisations and periods)."


def _require_auditor(user: User, engagement: Engagement, item: ItemResponse) -> None:
    access.require(user, access.Action.AUDIT, engagement)
    access.require(user, access.Action.AUDIT, item.report)
    if not in_scope(engagement, item.report):
        raise NotAllowed(OUT_OF_SCOPE)


def _clean_message(message: str, *, required: bool, problems: dict[str, list[str]]) -> str:
    message = (message or "").strip()
    if required and not message:
        problems.setdefault("message", []).append("Write what you need.")
    elif len(message) > MESSAGE_MAX:
        problems.setdefault("message", []).append(
            f"Keep the message under {MESSAGE_MAX:,} characters (it has {len(message):,})."
        )
    return message


def _summary(problems: dict[str, list[str]]) -> str:
    return " ".join(message for messages in problems.values() for message in messages)


def _request_url(evidence_request: EvidenceRequest) -> str:
    return f"{settings.SITE_URL}{reverse('audits:request', args=[evidence_request.pk])}"


def _email_context(evidence_request: EvidenceRequest) -> dict[str, Any]:
    item = evidence_request.item
    engagement = evidence_request.engagement
    return {
        "organisation": item.report.organisation.name,
        "period": item.report.period.label,
        "item": f"{item.node.node_id} {item.node.title}",
        "engagement": engagement.title,
        "auditor": engagement.firm or evidence_request.requested_by.get_full_name(),
        "message": evidence_request.message,
        "due_on": evidence_request.due_on.isoformat(),
        "request_url": _request_url(evidence_request),
    }


@transaction.atomic
def request_open(
    *,
    engagement: Engagement,
    item: ItemResponse,
    acting_user: User,
    message: str,
    due_on: datetime.date,
) -> EvidenceRequest:
    """The auditor asks the organisation for more on one item; its officers are told by email."""
    _require_auditor(acting_user, engagement, item)
    problems: dict[str, list[str]] = {}
    message = _clean_message(message, required=True, problems=problems)
    today = timezone.localdate()
    last_day = timezone.localdate(engagement.ends_at - datetime.timedelta(microseconds=1))
    if not isinstance(due_on, datetime.date) or isinstance(due_on, datetime.datetime):
        problems.setdefault("due_on", []).append("Give the date the answer is due.")
    elif due_on < today:
        problems.setdefault("due_on", []).append("The due date is in the past: give today or a later day.")
    elif due_on > last_day:
        problems.setdefault("due_on", []).append(
            f"The engagement ends on {last_day:%-d %B %Y}: ask for an answer by then."
        )
    if problems:
        raise ValidationFailed(_summary(problems), problems)
    evidence_request = EvidenceRequest.objects.create(
        engagement=engagement, item=item, message=message, due_on=due_on, requested_by=acting_user
    )
    ledger_append(
        event=LedgerEvent.EVIDENCE_REQUEST_OPENED,
        subject=evidence_request,
        actor=acting_user,
        report_id=item.report_id,
        data={
            "engagement": engagement.pk,
            "request": evidence_request.pk,
            "item": item.pk,
            "node": item.node.node_id,
            "message": message,
            "due_on": due_on.isoformat(),
        },
    )
    email_queue(
        template="evidence_request_opened",
        to=officer_emails(item.report.organisation_id),
        context=_email_context(evidence_request),
        key=f"evidence_request_opened:{evidence_request.pk}",
    )
    return evidence_request


def _locked(evidence_request: EvidenceRequest) -> EvidenceRequest:
    """The request as it is now, locked, with what the services read of it."""
    return (
        EvidenceRequest.objects.select_for_update(of=("self",))
        .select_related("engagement", "item__node", "item__report__organisation", "item__report__period")
        .get(pk=evidence_request.pk)
    )


@transaction.atomic
def request_answer(
    *,
    request: EvidenceRequest,
    acting_user: User,
    message: str = "",
    file: Any = None,
) -> EvidenceRequestReply:
    """An officer answers: a reply, a file (checked as evidence uploads are), or both."""
    evidence_request = _locked(request)
    access.require(acting_user, access.Action.RESPOND, evidence_request.item.report)
    if evidence_request.status == RequestStatus.CLOSED:
        raise InvalidTransition("The auditor has closed this request; it can no longer be answered.")
    if not evidence_request.engagement.is_open():
        raise InvalidTransition("The audit engagement has ended; this request can no longer be answered.")
    problems: dict[str, list[str]] = {}
    message = _clean_message(message, required=False, problems=problems)
    if not message and file is None:
        problems.setdefault("message", []).append("Write a reply or attach a file.")
    if problems:
        raise ValidationFailed(_summary(problems), problems)

    blob = store_evidence_file(file) if file is not None else None  # UploadRefused on a bad file
    try:
        with transaction.atomic():
            reply = EvidenceRequestReply.objects.create(
                request=evidence_request, author=acting_user, message=message, **_file_fields(blob)
            )
            previous = evidence_request.status
            evidence_request.status = RequestStatus.ANSWERED
            evidence_request.save(update_fields=["status"])
            ledger_append(
                event=LedgerEvent.EVIDENCE_REQUEST_ANSWERED,
                subject=evidence_request,
                actor=acting_user,
                report_id=evidence_request.item.report_id,
                data={
                    "engagement": evidence_request.engagement_id,
                    "request": evidence_request.pk,
                    "reply": reply.pk,
                    "message": message,
                    "file": _file_data(reply),
                    "status": {"from": previous, "to": evidence_request.status},
                },
            )
            context = {**_email_context(evidence_request), "reply": message, "file": reply.file_name}
            email_queue(
                template="evidence_request_answered",
                to=auditor_emails(evidence_request.engagement),
                context=context,
                key=f"evidence_request_answered:{reply.pk}",
            )
    except BaseException:
        _forget_blob(blob)
        raise
    return reply


@transaction.atomic
def request_close(*, request: EvidenceRequest, acting_user: User) -> EvidenceRequest:
    """The auditor closes the request (answered to their satisfaction, or no longer needed)."""
    evidence_request = _locked(request)
    _require_auditor(acting_user, evidence_request.engagement, evidence_request.item)
    if evidence_request.status == RequestStatus.CLOSED:
        raise InvalidTransition("This request is already closed.")
    previous = evidence_request.status
    evidence_request.status = RequestStatus.CLOSED
    evidence_request.closed_by = acting_user
    evidence_request.closed_at = timezone.now()
    evidence_request.save(update_fields=["status", "closed_by", "closed_at"])
    ledger_append(
        event=LedgerEvent.EVIDENCE_REQUEST_CLOSED,
        subject=evidence_request,
        actor=acting_user,
        report_id=evidence_request.item.report_id,
        data={
            "engagement": evidence_request.engagement_id,
            "request": evidence_request.pk,
            "status": {"from": previous, "to": evidence_request.status},
        },
    )
    return evidence_request


@transaction.atomic
def request_file_opened(*, reply: EvidenceRequestReply, reader: User, how: str = "download") -> None:
    """Append that `reader` opened the file of a reply (`how`: download or preview): such files are
    restricted by nature."""
    if how not in ACCESS_KINDS:
        raise ValueError(f"how is one of {ACCESS_KINDS}")
    report = reply.request.item.report
    ledger_append(
        event=LedgerEvent.RESTRICTED_EVIDENCE_ACCESSED,
        subject=reply,
        actor=reader,
        report_id=report.pk,
        data={
            "request": reply.request_id,
            "reply": reply.pk,
            "sha256": reply.sha256,
            "how": how,
            "role": reader_role(reader, report),
        },
    )


def _file_fields(blob: StoredBlob | None) -> dict[str, Any]:
    if blob is None:
        return {}
    return {
        "file_name": blob.original_name,
        "storage_name": blob.storage_name,
        "sha256": blob.sha256,
        "size_bytes": blob.size,
        "media_type": blob.media_type,
    }


def _file_data(reply: EvidenceRequestReply) -> dict[str, Any] | None:
    if not reply.storage_name:
        return None
    return {
        "name": reply.file_name,
        "sha256": reply.sha256,
        "size_bytes": reply.size_bytes,
        "media_type": reply.media_type,
    }


def _forget_blob(blob: StoredBlob | None) -> None:
    """Remove a file this answer stored if the answer failed and nothing else refers to it."""
    if blob is None or not blob.created:
        return
    try:
        referred = (
            Evidence.objects.filter(storage_name=blob.storage_name).exists()
            or EvidenceRequestReply.objects.filter(storage_name=blob.storage_name).exists()
        )
        if not referred:
            delete_blob(blob.storage_name)
    except Exception:
        # Cleaning up must not hide the original error; an unreferenced blob is harmless.
        logger.exception("Could not remove unreferenced blob %s", blob.storage_name)
