from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import totp_code_now
from demo.world import DEMO_DOMAIN, is_demo_email


class Command(BaseCommand):
    help = (
        "Print the current authenticator code of a demo account (development only), so that the "
        "demo's staff logins work without a phone."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help=f"a demo account, e.g. reviewer@{DEMO_DOMAIN}")

    def handle(self, *args, email: str, **options):
        # A code printed on demand would make the second factor worthless for a real account.
        if not settings.DEBUG:
            raise CommandError("Refusing to print second-factor codes while DEBUG is off.")
        email = email.strip().lower()
        if not is_demo_email(email):
            raise CommandError(f"Only the demo accounts (…@{DEMO_DOMAIN}) have codes printed.")
        device = TOTPDevice.objects.filter(user__email=email, confirmed=True).first()
        if device is None:
            raise CommandError(
                f"{email} has no authenticator app set up (run seed_demo, or check the address)."
            )
        self.stdout.write(totp_code_now(device))
        self.stderr.write(f"(for {email}: type it within 30 seconds; each code works once)")
