"""Who may do what. Services call these and raise NotAllowed; views use them to 404/403."""

from accounts.models import User
from commitments.models import Membership, Organisation, ProgressReport


def membership_role(user: User, organisation: Organisation) -> str | None:
    if not user.is_authenticated:
        return None
    # Cached per request/user object: access checks run several times per page.
    cache = user.__dict__.setdefault("_membership_roles", {})
    if organisation.pk not in cache:
        cache[organisation.pk] = (
            Membership.objects.filter(user=user, organisation=organisation)
            .values_list("role", flat=True)
            .first()
        )
    return cache[organisation.pk]


def is_member(user: User, organisation: Organisation) -> bool:
    return membership_role(user, organisation) is not None


def can_read_report(user: User, report: ProgressReport) -> bool:
    if not user.is_authenticated:
        return False
    if is_member(user, report.organisation):
        return True
    # Program staff may read any report, except they never review their own organisation.
    return user.is_reviewer or user.is_program_admin


def can_edit_report(user: User, report: ProgressReport) -> bool:
    """Officers and contributors draft their own organisation's items."""
    return membership_role(user, report.organisation) in (
        Membership.Role.OFFICER,
        Membership.Role.CONTRIBUTOR,
    )


def can_submit_report(user: User, report: ProgressReport) -> bool:
    return membership_role(user, report.organisation) == Membership.Role.OFFICER


def can_review_report(user: User, report: ProgressReport) -> bool:
    """Program reviewers, never for an organisation they belong to (conflict of interest)."""
    return user.is_authenticated and user.is_reviewer and not is_member(user, report.organisation)


def can_publish_report(user: User, report: ProgressReport) -> bool:
    return user.is_authenticated and user.is_program_admin and not is_member(user, report.organisation)


def can_read_audit_report(user: User, report: ProgressReport) -> bool:
    """Audit reports (restricted evidence, verdicts, comments, ledger): reviewers, admins, auditors.

    Never for someone who belongs to the organisation, and not for its officers: the audit report
    carries reviewers' internal comments.
    """
    if not user.is_authenticated or not (user.is_reviewer or user.is_auditor):
        return False
    return not is_member(user, report.organisation)
