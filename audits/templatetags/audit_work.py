"""`{% corrective_actions organisation as actions %}`: the corrective actions of attested
nonconformities an organisation has not followed up yet, each with where it is followed up (its
next report, or the period to start one for), for those the gate lets write the follow-up
(Action.EDIT on the organisation's reports: its officers and contributors)."""

from typing import Any

from django import template

from audits.selectors_follow_up import CorrectiveAction, corrective_actions_to_follow_up
from commitments import access

register = template.Library()


@register.simple_tag(takes_context=True)
def corrective_actions(context: template.Context, organisation: Any) -> list[CorrectiveAction]:
    user = context["user"]
    return [
        action
        for action in corrective_actions_to_follow_up(organisation)
        if access.can(user, access.Action.EDIT, action.finding.item.report)
    ]
