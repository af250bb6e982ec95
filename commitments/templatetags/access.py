"""`{% can "action" obj as name %}`: templates ask the access gate which links and buttons to show.

    {% load access %}
    {% can "review_queue" as may_review %}        the program itself (no object)
    {% can "edit" row.report as may_edit %}      a report, organisation, period, item, evidence or PDF

It is commitments.access.can, with the signed-in user: the rule is never restated in a template.
"""

from typing import Any

from django import template

from commitments import access

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: template.Context, action: str, obj: Any = None) -> bool:
    return access.can(context["user"], access.Action(action), obj)
