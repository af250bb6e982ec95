from django.core.management.base import BaseCommand, CommandError

from reports.pdf.signing import SigningFiles, signing_key_create, signing_material


class Command(BaseCommand):
    help = (
        "Create a private root certificate and a report-signing certificate for local use, in the "
        "files named by PLEDGEPROOF_SIGNING_KEY, _CERT and _CHAIN. Does nothing if they exist."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace an existing key; PDFs signed earlier stop verifying against the new root.",
        )
        parser.add_argument("--common-name", default="Pledgeproof local", help="Name on the certificates.")

    def handle(self, *args, replace: bool, common_name: str, **options):
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
            return
        signing_key_create(files, common_name=common_name)
        material = signing_material()
        self.stdout.write(
            self.style.SUCCESS(f"Created the signing key {files.key} and certificate {files.cert}.")
            + f"\nRoot certificate: {files.chain}\nRoot certificate SHA-256: {material.root_fingerprint}"
        )
