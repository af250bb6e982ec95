"""Rebuild the stored open-data files: after a restore, a lost rebuild, or a change no publication
announced (an organisation renamed or a new commitment signed)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commitments.models import ReportingPeriod
from reports.opendata.dataset import open_data_periods
from reports.opendata.services import opendata_rebuild


class Command(BaseCommand):
    help = (
        "Build and store the open-data files of every period with a publication, or of --period ID; "
        "prints each file's SHA-256 and name."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, metavar="ID", help="Only this reporting period.")

    def handle(self, *args, period: int | None, **options):
        if period is None:
            periods = open_data_periods()
        else:
            found = next((p for p in open_data_periods() if p.pk == period), None)
            if found is None:
                if ReportingPeriod.objects.filter(pk=period).exists():
                    raise CommandError(f"Period {period} has nothing published, so it has no open data.")
                raise CommandError(f"No reporting period with id {period}.")
            periods = [found]
        for each in periods:
            dataset = opendata_rebuild(each.pk)
            self.stdout.write(f"{each.framework.key} {each.label} (period {each.pk}):")
            for stored in dataset.files.order_by("name"):
                self.stdout.write(f"  {stored.sha256}  {stored.name}  ({stored.size_bytes} bytes)")
        self.stdout.write(self.style.SUCCESS(f"Built the open data of {len(periods)} period(s)."))
