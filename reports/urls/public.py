"""Public transparency pages: only published snapshots, no login. (Issue 4.)

The matrix itself is the site's start page, named "home" in config.urls.
"""

from django.urls import path

from reports.public import views

app_name = "public"

_report = "organisations/<slug:slug>/<slug:framework>/<str:period>/"
urlpatterns = [
    path("methodology/", views.methodology_view, name="methodology"),
    path("corrections/", views.corrections_view, name="corrections"),
    path("organisations/<slug:slug>/", views.organisation_view, name="organisation"),
    path(_report, views.report_view, name="report"),
    # Superseded versions stay reachable; "v<N>" comes before node ids so it is never read as one.
    path(_report + "v<id:version>/", views.report_view, name="report_version"),
    path(_report + "v<id:version>/<str:node_id>/", views.item_view, name="item_version"),
    path(_report + "<str:node_id>/", views.item_view, name="item"),
    path(_report + "evidence/<id:evidence_id>/", views.evidence_download_view, name="evidence"),
]
