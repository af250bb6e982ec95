from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outbox.models import OutboxEntry, OutboxStatus
from outbox.services import entries_dispatch, failed_entries_requeue


class Command(BaseCommand):
    help = (
        "Dispatch the side effects still pending in the outbox (what to run once the broker, the "
        "cache or the mail server is back): every pending row, whatever its backoff, unless "
        "--due-only. Prints each row dispatched and what still fails; exits 1 while anything "
        "still fails or has failed for good, 0 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--due-only",
            action="store_true",
            help="only rows whose backoff has run out (what the periodic task does)",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="first put the rows that failed for good back to pending, with a fresh count of attempts",
        )

    def handle(self, *args, due_only: bool, retry_failed: bool, **options):
        if retry_failed:
            self.stdout.write(f"Put {failed_entries_requeue()} failed row(s) back to pending.")
        done = queued = failing = 0
        for entry in entries_dispatch(due_only=due_only):
            if entry.status == OutboxStatus.DONE:
                done += 1
                outcome = "done"
            elif entry.status == OutboxStatus.PENDING and not entry.last_error:
                queued += 1
                outcome = "queued for a worker"
            else:
                failing += 1
                outcome = self._failure(entry)
            self.stdout.write(f"{self._label(entry)}: {outcome}")
        failed = list(OutboxEntry.objects.failed().order_by("pk"))
        for entry in failed:
            self.stdout.write(self._label(entry) + ": " + self._failure(entry))
        waiting = OutboxEntry.objects.pending().count() - queued - failing
        summary = (
            f"Dispatched {done + queued + failing}: {done} done, {queued} queued for a worker, "
            f"{failing} still failing; {len(failed)} failed for good"
            + (f"; {waiting} other pending row(s) not dispatched now (claimed or not due)" if waiting else "")
            + "."
        )
        if failing or failed:
            hint = " Run with --retry-failed to try the failed ones again." if failed else ""
            raise CommandError(summary + hint)
        self.stdout.write(self.style.SUCCESS(summary))

    @staticmethod
    def _label(entry: OutboxEntry) -> str:
        return f"#{entry.pk} {entry.kind} {entry.key}"

    @staticmethod
    def _failure(entry: OutboxEntry) -> str:
        if entry.status == OutboxStatus.FAILED:
            return f"FAILED FOR GOOD after {entry.attempts} attempts: {entry.last_error}"
        when = timezone.localtime(entry.next_attempt_at).isoformat(timespec="seconds")
        return f"still failing (attempt {entry.attempts}): {entry.last_error}; next try at {when}"
