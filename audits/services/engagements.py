"""Every change to an audit engagement, one function each, in one transaction with its ledger entry.

The access gate (commitments/access.py) decides who may; these functions ask it with `require`
and add the audit's own rules: an auditor never belongs to an organisation they audit (refused
when the engagement is made and again when they declare their independence), a window ends after
it starts, and the auditors are people with the platform role "auditor".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audits.models import Engagement, EngagementAuditor
from commitments import access
from commitments.errors import InvalidTransition, NotAllowed, ValidationFailed
from commitments.models import Membership, Organisation, ReportingPeriod
from commitments.services.ledger import ledger_append
from commitments.vocabulary import LedgerEvent

MAX_TEXT = 20_000


def _conflicts(auditors: Iterable[User], organisations: Iterable[Organisation]) -> list[str]:
    """One sentence per auditor who belongs to an organisation in scope."""
    rows = Membership.objects.filter(user__in=list(auditors), organisation__in=list(organisations))
    return [
        f"{row.user.get_full_name() or row.user.email} belongs to {row.organisation.name}: "
        "an auditor cannot audit their own organisation."
        for row in rows.select_related("user", "organisation").order_by("organisation__name", "user__email")
    ]


@transaction.atomic
def engagement_create(
    *,
    acting_user: User,
    title: str,
    standard: str,
    scope_statement: str,
    auditors: list[User],
    organisations: list[Organisation],
    periods: list[ReportingPeriod],
    starts_at: datetime,
    ends_at: datetime,
    firm: str = "",
) -> Engagement:
    access.require(acting_user, access.Action.MANAGE_ENGAGEMENTS)
    problems: dict[str, list[str]] = {}
    fields = (("title", title), ("standard", standard), ("scope_statement", scope_statement), ("firm", firm))
    for name, value in fields:
        limit = Engagement._meta.get_field(name).max_length or MAX_TEXT
        if not value.strip() and name != "firm":
            problems.setdefault(name, []).append("This field is required.")
        elif len(value.strip()) > limit:
            problems.setdefault(name, []).append(f"At most {limit:,} characters.")
    if not auditors:
        problems.setdefault("auditors", []).append("Choose at least one auditor.")
    not_auditors = [u.email for u in auditors if u.platform_role != User.PlatformRole.AUDITOR]
    if not_auditors:
        problems.setdefault("auditors", []).append(f"Not auditors: {', '.join(not_auditors)}.")
    problems.setdefault("auditors", []).extend(_conflicts(auditors, organisations))
    if not organisations:
        problems.setdefault("organisations", []).append("Choose at least one organisation.")
    if not periods:
        problems.setdefault("periods", []).append("Choose at least one reporting period.")
    if ends_at <= starts_at:
        problems.setdefault("ends_at", []).append("The engagement must end after it starts.")
    problems = {field: messages for field, messages in problems.items() if messages}
    if problems:
        raise ValidationFailed("The engagement was not created: see the problems below.", problems)
    engagement = Engagement.objects.create(
        title=title.strip(),
        standard=standard.strip(),
        scope_statement=scope_statement.strip(),
        firm=firm.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=acting_user,
    )
    engagement.organisations.set(organisations)
    engagement.periods.set(periods)
    EngagementAuditor.objects.bulk_create(
        EngagementAuditor(engagement=engagement, auditor=a) for a in auditors
    )
    for auditor in auditors:
        access.forget(auditor)  # what the gate read of them before they had this seat
    ledger_append(
        event=LedgerEvent.ENGAGEMENT_CREATED,
        subject=engagement,
        actor=acting_user,
        data={
            "title": engagement.title,
            "standard": engagement.standard,
            "firm": engagement.firm,
            "scope_statement": engagement.scope_statement,
            "auditors": sorted(a.pk for a in auditors),
            "organisations": sorted(o.slug for o in organisations),
            "periods": sorted(p.pk for p in periods),
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
    )
    return engagement


@transaction.atomic
def independence_declare(*, engagement: Engagement, acting_user: User, declaration: str) -> EngagementAuditor:
    """The auditor's declaration that they are independent of the organisations in scope."""
    access.require(acting_user, access.Action.DECLARE, engagement)
    seat = EngagementAuditor.objects.select_for_update().get(engagement=engagement, auditor=acting_user)
    if seat.declared_at is not None:
        raise InvalidTransition("You have already declared your independence for this engagement.")
    conflicts = _conflicts([acting_user], engagement.organisations.all())
    if conflicts:
        raise NotAllowed(" ".join(conflicts))
    declaration = declaration.strip()
    if not declaration:
        raise ValidationFailed("Write your declaration.", {"declaration": ["This field is required."]})
    if len(declaration) > MAX_TEXT:
        raise ValidationFailed(
            "The declaration is too long.", {"declaration": [f"At most {MAX_TEXT:,} characters."]}
        )
    seat.declaration = declaration
    seat.declared_at = timezone.now()
    seat.save(update_fields=["declaration", "declared_at"])
    access.forget(acting_user)  # what the gate read of them before they declared
    ledger_append(
        event=LedgerEvent.INDEPENDENCE_DECLARED,
        subject=engagement,
        actor=acting_user,
        data={"declaration": declaration},
    )
    return seat
