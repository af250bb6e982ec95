"""Build an audit bundle at once, as the background job does, into a folder.

    python manage.py audit_bundle --engagement ID --out DIR
    python manage.py audit_bundle --report ID --out DIR

An operator's command: the bundle holds every report of the engagement's scope (or the report),
with every ledger payload about them but other engagements' audit work (bundles.parts). It is
not recorded as anyone's download; whoever is given the file outside the platform is the
operator's business.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.models import Engagement
from bundles.services import BundleFailed, bundle_scope, bundle_write_file
from commitments.models import ProgressReport


class Command(BaseCommand):
    help = "Build the audit bundle (ZIP) of an engagement or a report into a folder."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--engagement", type=int, help="An audit engagement's id.")
        which.add_argument("--report", type=int, help="A report's id.")
        parser.add_argument(
            "--out", required=True, help="The folder to write the ZIP into (created if missing)."
        )

    def handle(self, *args, engagement=None, report=None, out, **options):
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot create {folder}: {exc.strerror or exc}") from None
        if engagement is not None:
            found = Engagement.objects.filter(pk=engagement).first()
            if found is None:
                raise CommandError(f"No audit engagement has the id {engagement}.")
            scope_of, name = {"engagement": found}, f"engagement-{found.pk}"
        else:
            found = (
                ProgressReport.objects.select_related("organisation", "period__framework")
                .filter(pk=report)
                .first()
            )
            if found is None:
                raise CommandError(f"No report has the id {report}.")
            scope_of, name = {"report": found}, found.reference
        try:
            scope = bundle_scope(**scope_of)
            path = folder / f"pledgeproof-bundle-{name}-cp{scope.checkpoint.size}.zip"
            written = bundle_write_file(scope, str(path))
        except BundleFailed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{path}: {written.count} files, {len(scope.reports)} report(s), "
            f"checkpoint at {scope.checkpoint.size} entries.\n"
            f"Check it with: python tools/verify_bundle.py {path}"
        )
