from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commitments.services.ledger.checkpoints import log_key_create, log_verifier_key
from reports.pdf.signing import SigningFiles, signing_key_create, signing_key_warnings, signing_material


class Command(BaseCommand):
    help = (
        "Create a private root certificate and an RSA report-signing certificate for local use, in the "
        "files named by PLEDGEPROOF_SIGNING_KEY, _CERT and _CHAIN, and the transparency log's Ed25519 "
        "key (PLEDGEPROOF_LOG_KEY). Does nothing for the files that exist; --replace never touches "
        "the log key, which witnesses have pinned."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace an existing key (e.g. an ECDSA key made before PDFs became PDF/A-3b on PDF 1.7); "
            "PDFs signed earlier stop verifying against the new root: keep the old root.pem for them.",
        )
        parser.add_argument("--common-name", default="Pledgeproof local", help="Name on the certificates.")

    def handle(self, *args, replace: bool, common_name: str, **options):
        self._log_key()
        files = SigningFiles.from_settings()
        present = [path for path in (files.key, files.cert, files.chain) if path.exists()]
        if present and not replace:
            if not files.exist():
                raise CommandError(
                    f"Only some signing files exist ({', '.join(map(str, present))}); "
                    "fix them or run with --replace."
                )
            material = signing_material()
            self.stdout.write(
                f"A signing key already exists ({files.key}); nothing changed.\n"
                f"Root certificate SHA-256: {material.root_fingerprint}"
            )
            for warning in signing_key_warnings():
                self.stderr.write(self.style.WARNING(warning))
            return
        signing_key_create(files, common_name=common_name)
        material = signing_material()
        self.stdout.write(
            self.style.SUCCESS(f"Created the signing key {files.key} and certificate {files.cert}.")
            + f"\nRoot certificate: {files.chain}\nRoot certificate SHA-256: {material.root_fingerprint}"
        )

    def _log_key(self) -> None:
        path = Path(settings.PLEDGEPROOF_LOG_KEY)
        existed = path.exists()
        log_key_create(path)
        verb = "The log key already exists" if existed else "Created the log key"
        self.stdout.write(f"{verb} ({path}).\nLog verifier key: {log_verifier_key()}")
