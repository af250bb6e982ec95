from django.db.models import QuerySet

from api.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    """A person's own tokens, newest first: nobody sees or revokes another's."""
    return ApiToken.objects.filter(user=user)
