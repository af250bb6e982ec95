from django.core.management.base import BaseCommand

from reports.pdf.signing import signing_material


class Command(BaseCommand):
    help = "Print the root certificate (PEM) that verifiers of Pledgeproof PDFs trust."

    def handle(self, *args, **options):
        self.stdout.write(signing_material().root_pem.decode("ascii"), ending="")
