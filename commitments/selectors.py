from django.db.models import Count, Q, QuerySet

from commitments.models import Framework


def framework_list() -> QuerySet[Framework]:
    return Framework.objects.annotate(item_count=Count("nodes", filter=Q(nodes__reportable=True))).order_by(
        "key", "version"
    )
