"""Reads of signed PDFs: which of a report's documents a person may see, and the documents
themselves, for the web pages (reports/pdf/views/documents.py) and the API (api/apis/documents.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from commitments import access
from commitments.access import Action
from commitments.models import ProgressReport, ReportingPeriod
from reports.models import ArtifactKind, ReportArtifact

REPORT_KINDS = (ArtifactKind.PUBLIC, ArtifactKind.AUDIT)


def visible_report_kinds(user, report: ProgressReport) -> list[ArtifactKind]:
    return [kind for kind in REPORT_KINDS if access.can_document(user, kind, Action.READ, report)]


def report_documents(user, report: ProgressReport) -> QuerySet[ReportArtifact]:
    """The report's PDFs of the kinds `user` may see, newest version first, stuck ones flagged."""
    return (
        ReportArtifact.objects.filter(report=report, kind__in=visible_report_kinds(user, report))
        .with_stuck_flag()
        .select_related("report__period", "period", "publication")
        .order_by("-version", "-pk")
    )


def period_summaries(period: ReportingPeriod) -> QuerySet[ReportArtifact]:
    return (
        ReportArtifact.objects.filter(kind=ArtifactKind.SUMMARY, period=period, report__isnull=True)
        .with_stuck_flag()
        .select_related("period")
        .order_by("-version", "-pk")
    )
