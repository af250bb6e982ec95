"""Audit bundles, mounted at /bundles/ by config/urls.py (issue 16)."""

from django.urls import path

from bundles import views

app_name = "bundles"
urlpatterns = [
    path("engagements/<int:engagement_id>/", views.engagement_bundles_view, name="engagement"),
    path("reports/<int:report_id>/", views.report_bundles_view, name="report"),
    path("<int:bundle_id>/download/", views.bundle_download_view, name="download"),
]
