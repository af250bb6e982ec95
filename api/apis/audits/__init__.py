"""Independent audits (issue 14) through the API: engagements and the items in their scope,
evidence requests, workpapers and findings, attestations. One module per area, as on the web
(audits/views), each calling the same services through the same gate."""

from api.apis.audits import attestations, engagements, follow_ups, requests, work

urlpatterns = [
    *engagements.urlpatterns,
    *requests.urlpatterns,
    *work.urlpatterns,
    *attestations.urlpatterns,
    *follow_ups.urlpatterns,
]
