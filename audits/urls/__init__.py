"""The audit pages, mounted at /audits/ by config/urls.py (issue 14): one module per area."""

from django.urls import include, path

app_name = "audits"
urlpatterns = [
    path("", include("audits.urls.engagements")),
    path("", include("audits.urls.requests")),
    path("", include("audits.urls.work")),
    path("", include("audits.urls.public")),
]
