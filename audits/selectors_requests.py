"""Reads of evidence requests: an item's requests for its page, the officer's open ones for the
dashboard, who is told by email, and how old a request is, in words.

Who may see what is the access gate's (commitments/access.py); these only read what it allows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from audits.models import Engagement, EvidenceRequest, EvidenceRequestReply
from commitments import access
from commitments.models import ItemResponse, Membership, ProgressReport
from commitments.vocabulary import RequestStatus


def in_scope(engagement: Engagement, report: ProgressReport) -> bool:
    """Whether the report is of an organisation and a period the engagement covers."""
    return (
        engagement.organisations.filter(pk=report.organisation_id).exists()
        and engagement.periods.filter(pk=report.period_id).exists()
    )


def requests_with_replies() -> QuerySet[EvidenceRequest]:
    """Requests with what their pages show: the item, its report, the people, the replies."""
    return EvidenceRequest.objects.select_related(
        "engagement",
        "item__node",
        "item__report__organisation",
        "item__report__period__framework",
        "requested_by",
        "closed_by",
    ).prefetch_related(
        Prefetch(
            "replies",
            queryset=EvidenceRequestReply.objects.select_related("author").order_by("created_at", "pk"),
        )
    )


def item_requests(*, engagement: Engagement, item: ItemResponse) -> list[EvidenceRequest]:
    """The engagement's requests on this item, newest first."""
    return list(
        requests_with_replies().filter(engagement=engagement, item=item).order_by("-created_at", "-pk")
    )


def open_requests_for_officer(user: Any) -> list[EvidenceRequest]:
    """Requests waiting for an answer from an organisation the user answers for (its officers),
    of engagements still open, oldest first."""
    if not user.is_authenticated:
        return []
    reports = ProgressReport.objects.filter(access.reports_where(user, access.Action.RESPOND))
    return list(
        requests_with_replies()
        .filter(
            status=RequestStatus.OPEN,
            item__report__in=reports,
            engagement__in=Engagement.objects.open_at(),
        )
        .order_by("due_on", "created_at", "pk")
    )


def officer_emails(organisation_id: int) -> list[str]:
    """Who answers a request: the organisation's active officers (the RESPOND cell of the gate)."""
    return list(
        Membership.objects.filter(
            organisation_id=organisation_id, role=Membership.Role.OFFICER, user__is_active=True
        ).values_list("user__email", flat=True)
    )


def auditor_emails(engagement: Engagement) -> list[str]:
    """The engagement's auditors who have declared their independence (those who can read the answer)."""
    return list(
        User.objects.filter(
            engagements__engagement=engagement, engagements__declared_at__isnull=False, is_active=True
        ).values_list("email", flat=True)
    )


@dataclass(frozen=True)
class Age:
    """How long a request has waited and when it is due, as the pages say it."""

    opened: str  # "opened today", "opened 3 days ago"
    due: str  # "due 12 Dec", "overdue since 12 Dec"
    overdue: bool


def request_age(evidence_request: EvidenceRequest, today: datetime.date | None = None) -> Age:
    today = today or timezone.localdate()
    days = (today - timezone.localdate(evidence_request.created_at)).days
    if days <= 0:
        opened = "opened today"
    elif days == 1:
        opened = "opened yesterday"
    else:
        opened = f"opened {days} days ago"
    due_text = f"{evidence_request.due_on.day} {evidence_request.due_on:%b}"
    if evidence_request.due_on.year != today.year:
        due_text += f" {evidence_request.due_on.year}"
    overdue = evidence_request.status == RequestStatus.OPEN and evidence_request.due_on < today
    return Age(
        opened=opened, due=f"overdue since {due_text}" if overdue else f"due {due_text}", overdue=overdue
    )


@dataclass(frozen=True)
class RequestRow:
    """A request as a list shows it: with its badge and its age."""

    request: EvidenceRequest
    age: Age

    @property
    def badge(self) -> str:
        return RequestStatus(self.request.status).badge

    @property
    def is_closed(self) -> bool:
        return self.request.status == RequestStatus.CLOSED


def request_row(evidence_request: EvidenceRequest) -> RequestRow:
    return RequestRow(evidence_request, request_age(evidence_request))


def dashboard_request_rows(user: Any) -> list[RequestRow]:
    """The officer's dashboard panel: open requests of their organisations, with their age."""
    return [request_row(r) for r in open_requests_for_officer(user)]
