"""Engagement pages of an audit engagement (issue 14): the list, a new engagement, one engagement,
the auditor's declaration, workspace, item page and evidence preview."""

from django.urls import path

from audits.views import engagements as views

urlpatterns = [
    path("", views.engagement_list_view, name="engagements"),
    path("new/", views.engagement_create_view, name="engagement_new"),
    path("<id:engagement_id>/", views.engagement_view, name="engagement"),
    path("<id:engagement_id>/declare/", views.declare_view, name="declare"),
    path("<id:engagement_id>/items/", views.workspace_view, name="workspace"),
    path("<id:engagement_id>/items/<id:item_id>/", views.item_view, name="item"),
    path(
        "<id:engagement_id>/evidence/<id:evidence_id>/preview/",
        views.evidence_preview_view,
        name="evidence_preview",
    ),
]
