"""The site's URLs plus a stand-in for the auditor's item page (audits:item), which the engagements
area builds; used by the evidence-request tests only while that page is not in this branch."""

from django.http import HttpResponse
from django.urls import include, path

from audits.urls import urlpatterns as audits_urlpatterns
from config.urls import urlpatterns as site_urlpatterns


def item_page_stand_in(request, engagement_id, item_id):
    return HttpResponse("item page")


audits = (
    [
        *audits_urlpatterns,
        path("<id:engagement_id>/items/<id:item_id>/", item_page_stand_in, name="item"),
    ],
    "audits",
)
urlpatterns = [path("audits/", include(audits)), *site_urlpatterns]
