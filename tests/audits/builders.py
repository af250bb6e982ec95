"""Engagements for tests, made through the services as a program admin and an auditor would."""

from datetime import timedelta

from django.utils import timezone

from audits.models import Engagement
from audits.services.engagements import engagement_create, independence_declare

DECLARATION = "I hold no interest in, and have no relationship with, the organisations in scope."


def engagement_for(
    *auditors,
    organisations,
    periods,
    admin,
    starts_at=None,
    ends_at=None,
    declared=True,
    title="Limited assurance on the 2026 report",
) -> Engagement:
    """An engagement open now (unless a window is given), every auditor's independence declared."""
    now = timezone.now()
    starts_at = starts_at or now - timedelta(days=1)
    ends_at = ends_at or now + timedelta(days=30)
    engagement = engagement_create(
        acting_user=admin,
        title=title,
        standard="ISAE 3000 (Revised), limited assurance",
        scope_statement="The organisation's reported implementation of every mitigation in the period.",
        firm="Harbourside Assurance LLP",
        auditors=list(auditors),
        organisations=list(organisations),
        periods=list(periods),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if declared and engagement.is_open():
        for auditor in auditors:
            independence_declare(engagement=engagement, acting_user=auditor, declaration=DECLARATION)
    return engagement
