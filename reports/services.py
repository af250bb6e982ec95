"""Publication: the verified → published transition, its immutable snapshot, and corrections.

The move itself (state check, status, ledger entry) is report_transition's, like every other
move of a report; what is added here is the publication: snapshot, Publication row, public PDF.
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from commitments import access
from commitments.errors import InvalidTransition, ValidationFailed
from commitments.markdown import plain_text_check
from commitments.models import ProgressReport, ReportStatus
from commitments.services.ledger import canonical_json, ledger_append
from commitments.services.notifications import report_notify
from commitments.services.reports import report_lock, report_transition
from commitments.vocabulary import LedgerEvent
from reports.cache import public_cache_invalidate_on_commit
from reports.models import Publication
from reports.opendata.services import opendata_rebuild_on_commit
from reports.selectors import report_public_snapshot


@transaction.atomic
def report_publish(
    *, report: ProgressReport, acting_user: User, render_pdf: bool = True, rebuild_open_data: bool = True
) -> Publication:
    """Publish a verified report; `render_pdf=False` skips queueing its public PDF and
    `rebuild_open_data=False` its period's open-data files (bulk seeding, which builds them once
    at the end; a request finding them stale would rebuild them too).

    Returns the new Publication; its `.report` is the published report (the one given is left as it was).
    """
    access.require(acting_user, access.Action.PUBLISH, report)
    now = timezone.now()
    published = report_transition(
        report=report, to=ReportStatus.PUBLISHED, acting_user=acting_user, fields={"published_at": now}
    )
    snapshot = canonical_json(report_public_snapshot(published))
    previous = published.publications.order_by("-version").first()
    publication = Publication.objects.create(
        report=published,
        version=(previous.version + 1) if previous else 1,
        snapshot=snapshot,
        snapshot_sha256=hashlib.sha256(snapshot.encode()).hexdigest(),
        supersedes=previous,
        published_by=acting_user,
        published_at=now,
    )
    ledger_append(
        event=LedgerEvent.PUBLICATION_CREATED,
        subject=publication,
        actor=acting_user,
        report_id=published.pk,
        data={"version": publication.version, "snapshot_sha256": publication.snapshot_sha256},
    )
    report_notify(report=published, event=ReportStatus.PUBLISHED)
    public_cache_invalidate_on_commit()
    if rebuild_open_data:
        opendata_rebuild_on_commit(published.period_id)
    if render_pdf:
        _public_pdf_queue(published)
    return publication


@transaction.atomic
def publication_correct(*, report: ProgressReport, acting_user: User, reason: str) -> Publication:
    """Publish the report's current content as a new version that supersedes the current one.

    The superseded snapshot is never touched: it stays reachable by its version number, and the
    public corrections log shows the reason and what changed between the two.
    """
    access.require(acting_user, access.Action.CORRECT, report)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "A correction needs a reason.", {"reason": ["Say why the report is corrected."]}
        )
    plain_text_check(reason, field="reason")
    # A correction moves no state (published stays published), so it is no transition; it takes
    # the same row lock, which serialises corrections (and publication) of the same report.
    locked = report_lock(report.pk)
    if locked.status != ReportStatus.PUBLISHED:
        raise InvalidTransition("Only a published report can be corrected; publish it first.")
    current = Publication.objects.current().get(report=locked)
    snapshot = canonical_json(report_public_snapshot(locked))
    snapshot_sha256 = hashlib.sha256(snapshot.encode()).hexdigest()
    if snapshot_sha256 == current.snapshot_sha256:
        raise ValidationFailed(
            "The report says the same as its published version; there is nothing to correct.",
            {"reason": ["Nothing changed since the published version."]},
        )
    publication = Publication.objects.create(
        report=locked,
        version=current.version + 1,
        snapshot=snapshot,
        snapshot_sha256=snapshot_sha256,
        supersedes=current,
        correction_reason=reason,
        published_by=acting_user,
        published_at=timezone.now(),
    )
    ledger_append(
        event=LedgerEvent.PUBLICATION_CORRECTED,
        subject=publication,
        actor=acting_user,
        report_id=locked.pk,
        data={
            "version": publication.version,
            "supersedes_version": current.version,
            "snapshot_sha256": snapshot_sha256,
            "supersedes_sha256": current.snapshot_sha256,
            "reason": reason,
        },
    )
    public_cache_invalidate_on_commit()
    opendata_rebuild_on_commit(locked.period_id)
    _public_pdf_queue(locked)
    return publication


def _public_pdf_queue(report: ProgressReport) -> None:
    """Queue the signed public PDF of the new publication (rendered after commit)."""
    if settings.PDF_RENDER_ON_PUBLISH:
        from reports.pdf.services import artifact_request

        artifact_request(kind="public", acting_user=None, report=report)
