import hashlib
from dataclasses import dataclass

from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Invitation, User


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_get_by_token(*, token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def invitation_list() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("organisation", "invited_by", "accepted_user")


@dataclass(frozen=True)
class SecondFactorSummary:
    authenticator: TOTPDevice | None  # the confirmed app, if any
    recovery_codes_left: int


def second_factor_summary(*, user: User) -> SecondFactorSummary:
    return SecondFactorSummary(
        authenticator=TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first(),
        recovery_codes_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    )


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()
