"""The site's URLs plus a stand-in for the auditor's item page ("audits:item"), for the work tests
while the engagements area has not added it: the stand-in shows the item's work panel alone."""

from django.http import Http404
from django.shortcuts import render
from django.urls import include, path

import audits.urls
from audits.selectors_work import items_in_scope
from audits.views.work import work_context
from commitments import access
from config.urls import urlpatterns as site


def item_page(request, engagement_id, item_id):
    engagement = access.engagement_for(request.user, engagement_id, action=access.Action.AUDIT)
    item = items_in_scope(engagement).filter(pk=item_id).select_related("node", "report").first()
    if item is None:
        raise Http404(access.NOT_FOUND)
    context = {"engagement": engagement, "item": item}
    context.update(work_context(engagement=engagement, item=item, user=request.user))
    return render(request, "audits/work/item.html", context)


audit_patterns = [
    *audits.urls.urlpatterns,
    path("<id:engagement_id>/items/<id:item_id>/", item_page, name="item"),
]
urlpatterns = [
    path("audits/", include((audit_patterns, "audits"))),
    *(pattern for pattern in site if getattr(pattern, "app_name", None) != "audits"),
]
