import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.test.utils import override_settings

from commitments.models import Framework
from demo.scale import DEFAULT_SEED, MAX_PERIODS, SCALE_DOMAIN, scale_seed


class Command(BaseCommand):
    help = (
        "Create many fictional organisations with published reports, through the services, to measure "
        "the public pages at scale (development only). Reruns skip the reports that already exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=200, help="number of organisations (default 200)")
        parser.add_argument(
            "--periods",
            type=int,
            default=4,
            help=f"yearly periods up to 2023, 1 to {MAX_PERIODS} (default 4)",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed for the answers")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, orgs: int, periods: int, seed: int, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to publish fictional reports while DEBUG is off: they would appear on the "
                "public site. Use --force if this really is a throwaway installation."
            )
        if orgs < 1 or not 1 <= periods <= MAX_PERIODS:
            raise CommandError(f"--orgs must be at least 1 and --periods between 1 and {MAX_PERIODS}.")
        if not Framework.objects.filter(key="sbd").exists():
            call_command("load_frameworks", stdout=self.stdout, stderr=self.stderr)

        self.stdout.write(f"Publishing up to {orgs * periods} reports through the services...")
        started = time.monotonic()
        # The services queue a notification email per submission, verification and publication;
        # here they would only go to fictional addresses (and flood the console
        # backend), so in-process sending is switched off for the run.
        with _quiet_tasks(), override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            result = scale_seed(
                organisations=orgs, periods=periods, seed=seed, progress=_Progress(self.stderr, started)
            )

        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.reports_created} report(s) published, {result.reports_skipped} already there, "
                f"{len(result.not_reported)} left unreported on purpose; framework {result.framework}, "
                f"periods {', '.join(result.periods)}, {result.organisations} organisations, {elapsed:.0f} s."
            )
        )
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(
                f"A Celery broker is configured: its workers send the notification emails to @{SCALE_DOMAIN}."
            )


class _Progress:
    """One updating line on a terminal; a line every 10% otherwise (logs, CI)."""

    def __init__(self, out: OutputWrapper, started: float):
        self.out = out
        self.started = started
        self.tty = out.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (total - done)
        line = f"  {done}/{total} reports ({done / total:.0%}), {elapsed:.0f} s, about {left:.0f} s left"
        if self.tty:
            self.out.write(f"\r{line}\033[K", ending="\n" if done == total else "")
            self.out.flush()
        elif done * 10 // total != self.last_tenth:
            self.last_tenth = done * 10 // total
            self.out.write(line)


class _quiet_tasks:
    """In-process Celery logs a line per task at INFO; thousands of them would bury the progress."""

    def __enter__(self):
        self.logger = logging.getLogger("celery.app.trace")
        self.level = self.logger.level
        self.logger.setLevel(logging.WARNING)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
