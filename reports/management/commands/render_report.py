"""Batch rendering for admins: the same service as the web app, run synchronously."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from commitments.models import ProgressReport, ReportingPeriod, ReportStatus
from reports.models import ArtifactKind, ArtifactStatus
from reports.pdf.services import artifact_open, artifact_render, artifact_request


class Command(BaseCommand):
    help = (
        "Render signed PDFs into a folder: --published for every published report (or every period "
        "with publications, for --kind summary), or --report ID for one. Prints each file's path and SHA-256."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--published", action="store_true", help="Every published report.")
        which.add_argument("--report", type=int, metavar="ID", help="One report (for summary: its period).")
        parser.add_argument("--kind", choices=[k.value for k in ArtifactKind], required=True)
        parser.add_argument(
            "--out", required=True, type=Path, metavar="DIR", help="Folder to copy the PDFs into."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar even on a terminal.")

    def handle(
        self, *args, published: bool, report: int | None, kind: str, out: Path, no_progress: bool, **opts
    ):
        targets = self._targets(kind, published=published, report_id=report)
        if not targets:
            raise CommandError("Nothing to render: no published report matches.")
        out.mkdir(parents=True, exist_ok=True)
        show_bar = not no_progress and sys.stderr.isatty()
        failures = 0
        with tqdm(total=len(targets), unit="pdf", disable=not show_bar, file=sys.stderr) as bar:
            for target in targets:
                artifact = self._request(kind, target)
                bar.set_description(artifact.document_id)
                artifact = artifact_render(artifact.pk)
                if artifact.status != ArtifactStatus.READY:
                    failures += 1
                    self.stderr.write(f"{artifact.document_id}: failed: {artifact.failure_reason}")
                else:
                    destination = out / artifact.file_name
                    with artifact_open(artifact) as source, open(destination, "wb") as target:
                        shutil.copyfileobj(source, target)
                    message = f"{destination}  sha256={artifact.sha256}"
                    bar.write(message, file=self.stdout) if show_bar else self.stdout.write(message)
                bar.update(1)
        if failures:
            raise CommandError(f"{failures} of {len(targets)} PDFs failed; see the reasons above.")

    def _targets(self, kind: str, *, published: bool, report_id: int | None) -> list:
        reports = ProgressReport.objects.select_related("organisation", "period").order_by(
            "period__starts_on", "pk"
        )
        if report_id is not None:
            try:
                chosen = reports.get(pk=report_id)
            except ProgressReport.DoesNotExist:
                raise CommandError(f"No report with id {report_id}.") from None
            if kind == ArtifactKind.SUMMARY:
                return [chosen.period]
            if kind == ArtifactKind.PUBLIC and chosen.status != ReportStatus.PUBLISHED:
                raise CommandError(f"Report {report_id} is not published; it has no public PDF.")
            return [chosen]
        published_reports = list(reports.filter(status=ReportStatus.PUBLISHED))
        if kind == ArtifactKind.SUMMARY:
            period_ids = {r.period_id for r in published_reports}
            return list(ReportingPeriod.objects.filter(pk__in=period_ids).order_by("starts_on", "pk"))
        return published_reports

    def _request(self, kind: str, target):
        if kind == ArtifactKind.SUMMARY:
            return artifact_request(kind=kind, acting_user=None, period=target, queue=False)
        return artifact_request(kind=kind, acting_user=None, report=target, queue=False)
