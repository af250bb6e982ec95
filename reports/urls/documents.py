"""Signed PDF documents for signed-in users (issue 5). Mounted under /documents/ by reports.urls."""

from django.urls import path

from reports.pdf.views import documents as views

app_name = "documents"
urlpatterns = [
    path("", views.documents_index_view, name="index"),
    path("reports/<id:report_id>/", views.report_documents_view, name="report"),
    path("reports/<id:report_id>/generate/<str:kind>/", views.report_document_generate_view, name="generate"),
    path("periods/<id:period_id>/", views.period_documents_view, name="period"),
    path("periods/<id:period_id>/generate/", views.period_summary_generate_view, name="generate_summary"),
    path("<id:artifact_id>/retry/", views.artifact_retry_view, name="retry"),
    path("<id:artifact_id>/download/", views.artifact_download_view, name="download"),
]
