from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.errors import DomainError
from commitments.services.frameworks import (
    FRAMEWORKS_DIR,
    FrameworkDefinitionInvalid,
    LoadAction,
    frameworks_load_all,
)
from commitments.services.frameworks.yaml_data import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES


class Command(BaseCommand):
    help = (
        "Check every framework file (*.yaml) and load the framework versions that changed. "
        "Loads nothing if any file has a problem. A file may have at most "
        f"{MAX_FILE_BYTES / 1024 / 1024:g} MB, {MAX_VALUES:,} values and {MAX_DEPTH} levels of nesting, "
        "and no anchors, aliases, merge keys or tags beyond the plain core ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            dest="directory",
            type=Path,
            default=FRAMEWORKS_DIR,
            help=f"Directory of framework files (default: {FRAMEWORKS_DIR}).",
        )

    def handle(self, *args, directory: Path, **options):
        try:
            results = frameworks_load_all(directory=directory)
        except FrameworkDefinitionInvalid as error:
            for line in error.listing():
                self.stderr.write(line)
            raise CommandError(str(error)) from error
        except DomainError as error:
            raise CommandError(str(error)) from error

        for result in results:
            self.stdout.write(
                f"{result.framework}: {result.action} ({result.node_count} nodes, {result.item_count} items)"
            )
            for dependent in result.links_dropped_from:
                self.stdout.write(
                    f"  crosswalk links of {dependent} to removed nodes were dropped; load it again"
                )
        if all(result.action == LoadAction.UNCHANGED for result in results):
            self.stdout.write("Nothing changed.")
