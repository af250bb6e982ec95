"""Program administration under /program/: the overview, its CSV, publication and corrections."""

from django.urls import path

from reports.program import views

app_name = "reports"
# Mounted under /program/ by reports.urls.
urlpatterns: list = [
    path("", views.overview_view, name="overview"),
    path("overview.csv", views.overview_csv_view, name="overview_csv"),
    path("reports/<id:report_id>/publish/", views.report_publish_view, name="report_publish"),
    path("reports/<id:report_id>/correct/", views.report_correct_view, name="report_correct"),
]
