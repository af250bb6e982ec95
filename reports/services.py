"""Publication: the verified → published transition and its immutable snapshot."""

import hashlib

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from commitments import access
from commitments.errors import NotAllowed
from commitments.models import ProgressReport, ReportStatus
from commitments.services.ledger import canonical_json, ledger_append
from commitments.services.notifications import report_notify
from commitments.services.reports import _transition
from reports.models import Publication
from reports.selectors import report_public_snapshot


@transaction.atomic
def report_publish(*, report: ProgressReport, acting_user: User) -> Publication:
    if not access.can_publish_report(acting_user, report):
        raise NotAllowed("Only program admins who do not belong to the organisation can publish its report.")
    now = timezone.now()
    _transition(
        report,
        to=ReportStatus.PUBLISHED,
        allowed_from=[ReportStatus.VERIFIED],
        action="publish",
        event="report.published",
        acting_user=acting_user,
        extra_fields={"published_at": now},
    )
    snapshot = canonical_json(report_public_snapshot(report))
    previous = report.publications.order_by("-version").first()
    publication = Publication.objects.create(
        report=report,
        version=(previous.version + 1) if previous else 1,
        snapshot=snapshot,
        snapshot_sha256=hashlib.sha256(snapshot.encode()).hexdigest(),
        supersedes=previous,
        published_by=acting_user,
        published_at=now,
    )
    ledger_append(
        event="publication.created",
        subject=publication,
        actor=acting_user,
        report_id=report.pk,
        data={"version": publication.version, "snapshot_sha256": publication.snapshot_sha256},
    )
    report_notify(report=report, event="published")
    return publication
