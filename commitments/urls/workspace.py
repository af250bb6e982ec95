# Officer workspace: dashboard, report editor, evidence (issue 3); audit follow-ups (issue 14).
from django.urls import path

from commitments.views import workspace as views

urlpatterns: list = [
    path("workspace/", views.dashboard, name="dashboard"),
    path("workspace/<slug:org_slug>/periods/<id:period_id>/start/", views.report_start, name="report_start"),
    path("reports/<id:report_id>/", views.report_edit, name="report_edit"),
    path("reports/<id:report_id>/submit/", views.report_submit_view, name="report_submit"),
    path("reports/<id:report_id>/items/<id:item_id>/", views.item_save, name="item_save"),
    path("reports/<id:report_id>/items/<id:item_id>/preview/", views.narrative_preview, name="item_preview"),
    path("reports/<id:report_id>/items/<id:item_id>/evidence/", views.evidence_create, name="evidence_add"),
    path("reports/<id:report_id>/follow-ups/<id:finding_id>/", views.follow_up_save, name="follow_up_save"),
    path("evidence/<id:evidence_id>/download/", views.evidence_download, name="evidence_download"),
]
