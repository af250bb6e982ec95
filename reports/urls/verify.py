"""Public verification of signed PDFs (issue 5). Mounted at /verify/ by reports.urls.

These addresses are printed on every PDF page and in the README: keep them stable.
"""

from django.urls import path

from reports.pdf.views import verify as views

app_name = "verify"
urlpatterns = [
    path("", views.verify_view, name="index"),
    path("root.pem", views.root_pem_view, name="root_pem"),
    path("manifest.schema.json", views.manifest_schema_view, name="manifest_schema"),
    path("documents/<str:document_id>.pdf", views.document_download_view, name="document"),
]
