from django.core.management.base import BaseCommand, CommandError

from commitments.services.ledger import ledger_verify, ledger_verify_fast
from commitments.services.ledger.verify import BATCH_SIZE
from commitments.services.ledger.verify_log import ledger_verify_log


class Command(BaseCommand):
    help = (
        "Check every ledger entry's link, hash and columns, and the ledger head; then that the entries "
        "hash to the root of the latest signed checkpoint and of the stored Merkle tree. Exits with "
        "status 1 naming the first entry or the root that does not match."
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
        log = ledger_verify_log()
        if not log.ok:
            raise CommandError(f"Transparency log check failed. {log.problem}")
        self.stdout.write(
            self.style.SUCCESS(f"Ledger intact: {result.count} entries, head {result.head_hash}")
        )
        signed = (
            f"matches the checkpoint signed at size {log.checkpoint_size}"
            if log.checkpoint_size is not None
            else "no checkpoint signed yet"
        )
        self.stdout.write(
            self.style.SUCCESS(f"Merkle root {log.root.hex()} at {log.size} entries; {signed}.")
        )
