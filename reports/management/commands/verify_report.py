"""python manage.py verify_report FILE.pdf [--evidence DIR] [--json]

The standalone verifier's checks against this platform's root certificate, plus what only the
platform knows: whether the file is one of its ready artifacts, and whether it is current.
Exit status 0 when the signature is valid, the manifest checks (and evidence, if given) pass and
the file is a known artifact — a genuine but superseded file exits 0 with a warning naming the
current version; 1 otherwise; 2 for a usage error.
"""

import json
import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.pdf.verification import artifact_find_by_sha256, artifact_standing, pdf_verify
from tools.verify_report import EXIT_FAILED, EXIT_USAGE, UsageError, check_marks, format_result


class Command(BaseCommand):
    help = (
        "Verify a Pledgeproof PDF: signature, manifest, optional evidence folder, and whether it is current."
    )

    def add_arguments(self, parser):
        parser.add_argument("pdf", type=Path, help="the PDF to check")
        parser.add_argument(
            "--evidence", type=Path, metavar="DIR", help="evidence files to compare with the manifest"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the result as JSON")

    def handle(self, *args, pdf: Path, evidence: Path | None, as_json: bool, **options):
        try:
            data = pdf.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {pdf}: {exc.strerror or exc}", returncode=EXIT_USAGE) from None
        if options["verbosity"] < 2:
            # pyHanko logs every failed check with a traceback; the verdict already says why.
            for name in ("pyhanko", "pyhanko_certvalidator"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            result = pdf_verify(data, evidence_dir=evidence)
        except UsageError as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from None

        artifact = artifact_find_by_sha256(result.sha256)
        standing = artifact_standing(artifact) if artifact is not None else None
        if as_json:
            self._print_json(result, artifact, standing)
        else:
            self._print_text(pdf, result, artifact, standing)

        problems = [f"{check.title}: {check.detail}" for check in result.failures]
        if artifact is None:
            problems.append("the file's SHA-256 is not a document this platform issued")
        if problems:
            raise CommandError("NOT VERIFIED — " + "; ".join(problems), returncode=EXIT_FAILED)

    def _print_text(self, pdf, result, artifact, standing):
        text = format_result(result, file_label=str(pdf), marks=check_marks(self.stdout))
        self.stdout.write(text.rstrip("\n"))
        self.stdout.write("")
        self.stdout.write("Platform records")
        if artifact is None:
            self.stdout.write(
                self.style.ERROR(
                    f"  Unknown: no ready document of this platform has SHA-256 {result.sha256}."
                )
            )
            return
        rendered = f", rendered {artifact.rendered_at:%Y-%m-%d %H:%M %Z}" if artifact.rendered_at else ""
        self.stdout.write(
            f"  Known document {artifact.document_id} ({artifact.get_kind_display()}{rendered})"
        )
        if standing.superseded:
            replacement = (
                f" Current version: {standing.current.document_id} (SHA-256 {standing.current.sha256})."
                if standing.current
                else ""
            )
            self.stdout.write(
                self.style.WARNING(f"  Genuine but SUPERSEDED: {standing.reason}.{replacement}")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    "  Genuine and current: no newer version exists and nothing it states has changed since."
                )
            )

    def _print_json(self, result, artifact, standing):
        data = result.to_dict()
        data["platform"] = {
            "known": artifact is not None,
            "document_id": artifact.document_id if artifact else None,
            "kind": artifact.kind if artifact else None,
            "superseded": standing.superseded if standing else None,
            "superseded_reason": standing.reason if standing else None,
            "current_document_id": standing.current.document_id if standing and standing.current else None,
            "current_sha256": standing.current.sha256 if standing and standing.current else None,
        }
        self.stdout.write(json.dumps(data, indent=2, default=str))
