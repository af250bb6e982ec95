"""Template helpers of the engagement pages: a finding's badge, and whether the header links to them.

{% load audit_engagements %}
{{ finding.kind|finding_badge }}        the badge class of a finding kind (commitments.vocabulary)
{{ media_type|previewable }}            whether a file of this type can be read as text in the page
{% audits_link as may_audits %}         whether the signed-in user has engagement pages to open
"""

from django import template

from audits.previews import previewable as previewable_type
from audits.selectors_engagements import has_engagements
from commitments.vocabulary import FindingKind

register = template.Library()


@register.filter
def finding_badge(kind: str) -> str:
    return FindingKind.badge_of(kind)


@register.filter
def previewable(media_type: str) -> bool:
    return previewable_type(media_type)


@register.simple_tag(takes_context=True)
def audits_link(context: template.Context) -> bool:
    user = context.get("user")
    return user is not None and has_engagements(user=user)
