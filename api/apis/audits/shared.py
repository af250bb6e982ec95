"""What the audit endpoints share: how people and items are shown, and the loaders
that reach an engagement's objects through the access gate as the audit pages do."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404
from rest_framework import serializers

from api.concurrency import check_if_match
from api.filters import ID_MAX
from api.problems import PreconditionFailed
from audits.models import Engagement
from audits.selectors_work import items_in_scope
from commitments import access
from commitments.access import Action
from commitments.models import ItemResponse, ProgressReport

TAG = "audits"


def person_name(user: Any) -> str:
    """A person as the audit pages name them: their name, else their email address."""
    return user.get_full_name() or user.email


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField(
        help_text="Their name, or their email address if none is on file."
    )

    def get_name(self, user) -> str:
        return person_name(user)


class ItemRefOutput(serializers.Serializer):
    """An item of a report, as the audit endpoints name it (its content: the items endpoints)."""

    id = serializers.IntegerField()
    report = serializers.IntegerField(source="report_id")
    organisation = serializers.CharField(
        source="report.organisation.slug", help_text="The organisation's slug."
    )
    period = serializers.CharField(source="report.period.label", help_text="The reporting period's label.")
    node_id = serializers.CharField(source="node.node_id")
    code = serializers.CharField(source="node.code")
    title = serializers.CharField(source="node.title")


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


# --- loading through the gate, as audits/views do ----------------------------------------------


def engagement_for(request, pk: int, action: Action) -> Engagement:
    """The engagement: 404 for one the user may do nothing with, 403 if they may see it but not this."""
    return access.engagement_for(request.user, pk, action=action)


def item_in_scope(request, engagement: Engagement, item_id: int) -> ItemResponse:
    """An item of the engagement's scope whose report the user may audit (audits/views/work.py):
    any other id, another engagement's item included, is not found."""
    item = (
        items_in_scope(engagement)
        .select_related("node", "report__organisation", "report__period")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404(access.NOT_FOUND)
    item.report = access.report_for(request.user, item.report_id, action=Action.AUDIT)
    return item


def auditable_engagements(user: Any) -> list[int]:
    """The engagements the user may audit now, each asked of the gate (only auditors have seats)."""
    if not user.is_authenticated:
        return []
    seated = Engagement.objects.filter(auditors__auditor=user).distinct()
    return [engagement.pk for engagement in seated if access.can(user, Action.AUDIT, engagement)]


def officers_or_auditors(user: Any) -> Q:
    """Which of an engagement's requests or findings (rows with `item` and `engagement`) a list shows
    the user, as a query: the organisation's officers see those on the reports they answer for
    (RESPOND), the engagement's auditors those of the engagements they may audit now, on reports
    they may audit (work is only ever opened in scope)."""
    answers_for = ProgressReport.objects.filter(access.reports_where(user, Action.RESPOND))
    audits = ProgressReport.objects.filter(access.reports_where(user, Action.AUDIT))
    return Q(item__report__in=answers_for) | Q(
        engagement__in=auditable_engagements(user), item__report__in=audits
    )


def check_precondition(request, current: Any | None, what: str) -> None:
    """If-Match against the current representation; with nothing there yet, any If-Match fails
    (RFC 9110 §13.1.1), since the client expected something that is not."""
    if current is None:
        if request.headers.get("If-Match") is not None:
            raise PreconditionFailed(
                f"There is no {what} yet, so no version of it can match: send the request without If-Match "
                "to create it."
            )
        return
    check_if_match(request, current)


def validated(serializer_class: type[serializers.Serializer], request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
