"""Make a personal API token for an account, and print it (the only time it is shown).

python manage.py create_api_token --email officer@example.org --name "CI upload" --scope write --days 90
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from api.models import TokenScope
from api.services import api_token_create
from commitments.errors import ValidationFailed


class Command(BaseCommand):
    help = "Make a personal API token for an account and print it (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The account the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument(
            "--days", type=int, default=None, help="Expire after this many days (default: never)."
        )

    def handle(self, *args, email, name, scope, days, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the email address {email!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        try:
            issued = api_token_create(user=user, name=name, scope=scope, expires_at=expires_at)
        except ValidationFailed as exc:
            details = "; ".join(f"{field}: {' '.join(found)}" for field, found in exc.problems.items())
            raise CommandError(f"{exc} {details}") from None
        self.stderr.write(
            f"Token “{issued.token.name}” ({issued.token.get_scope_display().lower()}) for {user.email}"
            + (f", expires {expires_at:%Y-%m-%d}" if expires_at else "")
            + ". It is shown only this once:"
        )
        self.stdout.write(issued.secret)
