"""Audit bundles, mounted at /bundles/ by config/urls.py (issue 16)."""

from django.urls import path

from bundles import views

app_name = "bundles"
urlpatterns = [
    path("engagements/<id:engagement_id>/", views.engagement_bundles_view, name="engagement"),
    path("reports/<id:report_id>/", views.report_bundles_view, name="report"),
    path("<id:bundle_id>/download/", views.bundle_download_view, name="download"),
]
