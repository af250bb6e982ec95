"""Write every OSCAL document: a catalog per framework version, a component-definition per current
publication, assessment-results per engagement with a current attestation (reports.oscal)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.oscal.documents import all_documents


class Command(BaseCommand):
    help = (
        "Write the OSCAL documents (JSON) of every framework, published report and attested audit "
        "engagement into --out (default: oscal/); prints each file's SHA-256 and name."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", default="oscal", metavar="DIR", help="Folder to write into (made if missing)."
        )

    def handle(self, *args, out: str, **options):
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot write into {folder}: {error}") from error
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        files = all_documents()
        for name, content in files.items():
            (folder / name).write_bytes(content)
            self.stdout.write(f"{hashlib.sha256(content).hexdigest()}  {name}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files)} OSCAL document(s) into {folder}."))
