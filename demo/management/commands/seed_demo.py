from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from commitments.models import Framework
from demo.world import (
    DEMO_PASSWORD,
    demo_authenticators_ensure,
    demo_is_seeded,
    demo_logins,
    demo_seed,
)


class Command(BaseCommand):
    help = "Create fictional demo organisations, people and reports in every state (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with known passwords while DEBUG is off. "
                "Use --force if this really is a throwaway installation."
            )
        if demo_is_seeded():
            self.stdout.write("Demo data is already present; nothing changed.")
        else:
            if not Framework.objects.filter(key="sbd").exists():
                call_command("load_frameworks", stdout=self.stdout, stderr=self.stderr)
            self.stdout.write("Creating demo data through the services (this takes a few seconds)...")
            demo_seed()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        authenticators = demo_authenticators_ensure()
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"  {login.email:<45} {login.role}")
        self.stdout.write(
            "Staff and the auditor then type a 6-digit code, which "
            "`DEBUG=1 .venv/bin/python manage.py otp_code EMAIL` prints,\n"
            "or an authenticator app shows once given the account's secret:"
        )
        for authenticator in authenticators:
            secret = authenticator.secret or "(has its own authenticator app)"
            self.stdout.write(f"  {authenticator.email:<45} {secret}")
