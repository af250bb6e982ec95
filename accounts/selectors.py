import hashlib

from django.db.models import QuerySet

from accounts.models import Invitation


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
