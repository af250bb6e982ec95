"""`{% open_corrective_actions organisation as actions %}`: the corrective actions of attested
nonconformities an organisation follows up in its next report, for those the gate lets answer
for it (Action.RESPOND on the audited report: its officers)."""

from typing import Any

from django import template

from audits.selectors_work import open_corrective_actions as corrective_actions_of
from commitments import access

register = template.Library()


@register.simple_tag(takes_context=True)
def open_corrective_actions(context: template.Context, organisation: Any) -> list:
    user = context["user"]
    return [
        finding
        for finding in corrective_actions_of(organisation)
        if access.can(user, access.Action.RESPOND, finding.item.report)
    ]
