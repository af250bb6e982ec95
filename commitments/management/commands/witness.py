from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tools.tlog.witness import WitnessError, witness_check


class Command(BaseCommand):
    help = (
        "Witness a Pledgeproof transparency log: fetch its checkpoint from URL (the log's prefix, "
        "e.g. https://example.org/log), verify its signature and that the log extends the checkpoint "
        "saved in --state last time (from hash tiles alone), then save the new one. Exits with status 1 "
        "on any inconsistency, 2 when the log cannot be checked."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "url", help="The log's address, under which /checkpoint, /key and /tile/ are served."
        )
        parser.add_argument(
            "--state", required=True, type=Path, help="Folder keeping the key and last checkpoint."
        )
        parser.add_argument(
            "--key",
            help="The log's verifier key (<name>+<key id>+<base64>). Without it, the key saved in --state, "
            "or on the first run the key the log publishes (trust on first use).",
        )

    def handle(self, *args, url: str, state: Path, key: str | None, **options):
        try:
            result = witness_check(url, state, key=key)
        except WitnessError as exc:
            raise CommandError(
                f"{'INCONSISTENT' if exc.inconsistent else 'Could not check the log'}: {exc}",
                returncode=1 if exc.inconsistent else 2,
            ) from None
        current, previous = result.current, result.previous
        since = (
            f"consistent with the checkpoint saved at size {previous.size}"
            if previous
            else "first checkpoint saved"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{current.origin}: {current.size} entries, root {current.root.hex()}; {since}."
            )
        )
