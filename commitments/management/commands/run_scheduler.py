import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.celery import app
from config.scheduler import Scheduler, SchedulerBusy, StateFile


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of CELERY_BEAT_SCHEDULE in this process, each when it is due, until "
        "stopped (Ctrl-C or SIGTERM). For set-ups with no broker; `make run` starts it. With a broker, "
        "run `celery -A config beat` instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument(
            "--with-broker",
            action="store_true",
            help="Run even though CELERY_BROKER_URL is set (celery beat is then the usual scheduler).",
        )

    def handle(self, *args, once: bool, with_broker: bool, **options):
        if settings.CELERY_BROKER_URL and not with_broker:
            self.stdout.write(
                "CELERY_BROKER_URL is set: periodic jobs are `celery -A config beat`'s to send; "
                "not running them here too (pass --with-broker to)."
            )
            return
        app.autodiscover_tasks(
            force=True
        )  # register every app's tasks (and nothing else: no django.setup again)
        state = StateFile(settings.SCHEDULER_STATE_FILE)
        try:
            with state.locked():
                scheduler = Scheduler(app, state)
                if once:
                    scheduler.run_due()
                    return
                signal.signal(signal.SIGTERM, scheduler.stop)
                signal.signal(signal.SIGINT, scheduler.stop)
                scheduler.run_forever()
        except SchedulerBusy as exc:
            raise CommandError(str(exc)) from None
