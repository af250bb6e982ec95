import json

from django.core.management.base import BaseCommand, CommandError

from commitments.errors import DomainError
from commitments.services.frameworks import framework_as_dict, framework_find


class Command(BaseCommand):
    help = "Print a loaded framework version as JSON: its source, levels and tree of nodes."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Lets --version name the framework version instead of printing Django's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("key", help="Framework id, e.g. 'sbd'.")
        parser.add_argument(
            "--version", dest="framework_version", help="Version, e.g. '2024.1' (default: latest)."
        )

    def handle(self, *args, key: str, framework_version: str | None, **options):
        try:
            framework = framework_find(key=key, version=framework_version)
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(framework_as_dict(framework=framework), indent=2, ensure_ascii=False))
