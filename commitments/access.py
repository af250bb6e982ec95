"""Who may do what. Services call these and raise NotAllowed; views use them to 404/403.

Views ask the `*_or_404` helpers at the end for the object an URL names. An object the user may
not see is a 404 exactly like an id that does not exist (same status, same words), and that is
decided before anything else: a 403, or a different message, would tell the ids apart. A 403 is
for an object the user may see but not act on.
"""

from collections.abc import Callable

from django.http import Http404

from accounts.models import User
from commitments.models import Evidence, Membership, Organisation, ProgressReport


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


def can_see_program_documents(user: User) -> bool:
    """Program staff and auditors: the documents index, the program summaries, any report's PDFs page."""
    return user.is_authenticated and (user.is_reviewer or user.is_program_admin or user.is_auditor)


def can_read_report_documents(user: User, report: ProgressReport) -> bool:
    return can_read_report(user, report) or can_see_program_documents(user)


# --- the object an URL names, or 404 -------------------------------------------------------------

NOT_FOUND = "Not found, or not visible to your account."


def _load_report(report_id: int) -> ProgressReport:
    return ProgressReport.objects.select_related("organisation", "period__framework").get(pk=report_id)


def report_or_404(
    user: User,
    report_id: int,
    *,
    load: Callable[[int], ProgressReport] = _load_report,
    may: Callable[[User, ProgressReport], bool] = can_read_report,
) -> ProgressReport:
    """The report if `may` lets this user see it; Http404 otherwise, as for an id never issued.

    `load` is the selector that reads it with what the page needs (raising DoesNotExist).
    """
    try:
        report = load(report_id)
    except ProgressReport.DoesNotExist:
        raise Http404(NOT_FOUND) from None
    if not may(user, report):
        raise Http404(NOT_FOUND)
    return report


def evidence_or_404(user: User, evidence_id: int) -> Evidence:
    """Evidence of a report this user may read (restricted files included: members see them)."""
    evidence = Evidence.objects.select_related("item__report__organisation").filter(pk=evidence_id).first()
    if evidence is None or not can_read_report(user, evidence.item.report):
        raise Http404(NOT_FOUND)
    return evidence


def member_organisation_or_404(user: User, slug: str) -> Organisation:
    """An organisation the user belongs to; another organisation is as unknown as a made-up slug."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not is_member(user, organisation):
        raise Http404(NOT_FOUND)
    return organisation
