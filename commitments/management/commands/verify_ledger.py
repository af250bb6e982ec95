from django.core.management.base import BaseCommand, CommandError

from commitments.services.ledger import ledger_verify, ledger_verify_fast
from commitments.services.ledger.verify import BATCH_SIZE


class Command(BaseCommand):
    help = (
        "Check every ledger entry's link, hash and columns, and the ledger head. Exits with status 1 "
        "naming the first entry that does not match."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="Entries fetched from the database at a time."
        )
        parser.add_argument(
            "--reference",
            action="store_true",
            help="Run the reference check (commitments/services/ledger/verify.py), one entry after another, "
            "instead of the faster check that reaches the same verdict.",
        )

    def handle(self, *args, batch_size: int, reference: bool, **options):
        check = ledger_verify if reference else ledger_verify_fast
        result = check(batch_size=batch_size)
        if not result.ok:
            intact = f"{result.count} entries before it check out" if result.count else "no entry before it"
            raise CommandError(f"Ledger check failed. {result.problem} ({intact}.)")
        self.stdout.write(
            self.style.SUCCESS(f"Ledger intact: {result.count} entries, head {result.head_hash}")
        )
