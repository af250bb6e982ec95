from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from commitments.append_only import TABLES
from commitments.services.ledger import ledger_verify, ledger_verify_fast
from commitments.services.ledger.checkpoints import log_verifier_key
from commitments.services.ledger.reconcile import ledger_reconcile
from commitments.services.ledger.verify import BATCH_SIZE
from commitments.services.ledger.verify_log import ledger_verify_log
from commitments.services.ledger.verify_triggers import ledger_verify_triggers
from tools.tlog import note


class Command(BaseCommand):
    help = (
        "Check every ledger entry's link, hash and columns, and the ledger head; then that the entries "
        "hash to the root of the latest signed checkpoint and of the stored Merkle tree (and, with "
        "--checkpoint, that the ledger still extends a checkpoint saved earlier); on PostgreSQL that the "
        "append-only triggers are in force; and that publications, verdicts, signed PDFs, audit findings and "
        "attestations in the tables are what the ledger recorded. Exits with status 1 naming each check that "
        "fails, 2 when it cannot check (a checkpoint file that cannot be read, no log key)."
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
        parser.add_argument(
            "--checkpoint",
            type=Path,
            metavar="FILE",
            help="A checkpoint of this log saved earlier: what /log/checkpoint served, e.g. the file "
            "`checkpoint` in the state folder of `manage.py witness`. Its signature must verify with the "
            "log's key, and the ledger must still extend it.",
        )

    def handle(self, *args, batch_size: int, reference: bool, checkpoint: Path | None, **options):
        saved = _saved_checkpoint(checkpoint) if checkpoint is not None else None
        failures: list[str] = []
        if self._chain(reference, batch_size, failures):
            self._log(saved, failures)
        else:
            failures.append(
                "Transparency log check not run: it reads the entries' hashes, which the ledger check "
                "above found wrong."
            )
        self._triggers(failures)
        self._tables(failures)
        if failures:
            raise CommandError("\n".join(failures))

    def _chain(self, reference: bool, batch_size: int, failures: list[str]) -> bool:
        check = ledger_verify if reference else ledger_verify_fast
        result = check(batch_size=batch_size)
        if not result.ok:
            intact = f"{result.count} entries before it check out" if result.count else "no entry before it"
            failures.append(f"Ledger check failed. {result.problem} ({intact}.)")
            return False
        self._passed(f"Ledger intact: {result.count} entries, head {result.head_hash}")
        return True

    def _log(self, saved: note.CheckpointBody | None, failures: list[str]) -> None:
        log = ledger_verify_log(saved=saved)
        if not log.ok:
            failures.append(_listed("Transparency log check failed:", log.problems))
            return
        signed = (
            f"matches the checkpoint signed at size {log.checkpoint_size}"
            if log.checkpoint_size is not None
            else "no checkpoint signed yet"
        )
        self._passed(f"Merkle root {log.root.hex()} at {log.size} entries; {signed}.")
        if saved is not None:
            self._passed(
                f"The ledger extends the checkpoint saved at size {saved.size:,} (root {saved.root.hex()})."
            )

    def _triggers(self, failures: list[str]) -> None:
        problems = ledger_verify_triggers()
        if problems:
            failures.append(_listed("Append-only triggers not in force:", problems))
        elif connection.vendor == "postgresql":  # SQLite has none to check
            self._passed(f"Append-only triggers in force on {', '.join(TABLES)}.")

    def _tables(self, failures: list[str]) -> None:
        found = ledger_reconcile()
        if found.ok:
            counts = [
                _count(found.publications, "publication"),
                _count(found.verdicts, "verdict"),
                _count(found.artifacts, "signed PDF"),
                _count(found.findings, "finding"),
                _count(found.attestations, "attestation"),
            ]
            self._passed(f"Tables match the ledger: {', '.join(counts)}.")
            return
        more = found.problem_count - len(found.problems)
        differ = _count(found.problem_count, "row differs", "rows differ")
        failures.append(
            _listed(
                f"Reconciliation failed: {differ} from what the ledger recorded:",
                [*found.problems, f"... and {more:,} more."] if more else found.problems,
            )
        )

    def _passed(self, line: str) -> None:
        self.stdout.write(self.style.SUCCESS(line))


def _listed(heading: str, problems) -> str:
    return "\n  ".join([heading, *problems])


def _count(number: int, noun: str, plural: str = "") -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def _saved_checkpoint(path: Path) -> note.CheckpointBody:
    """The checkpoint in `path`, once its signature verifies with the log's key.

    A file that cannot be read, or no log key to check it with, is a usage problem (exit 2); a
    file that is not a checkpoint signed by this log (exit 1) is what a forged or foreign one is.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(note.MAX_NOTE_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"Cannot read the checkpoint file {path}: {exc.strerror}.", returncode=2) from None
    if len(raw) > note.MAX_NOTE_BYTES:
        raise CommandError(
            f"The checkpoint file {path} is larger than a checkpoint can be ({note.MAX_NOTE_BYTES:,} bytes): "
            "it is not one.",
            returncode=1,
        )
    try:
        key = log_verifier_key()
    except ImproperlyConfigured as exc:
        raise CommandError(
            f"Cannot check the checkpoint file without the log's key: {exc}", returncode=2
        ) from None
    try:
        return note.checkpoint_open(raw, key)
    except note.NoteError as exc:
        raise CommandError(
            f"The checkpoint file {path} is not a checkpoint signed by this log ({key}): {exc}.", returncode=1
        ) from None
