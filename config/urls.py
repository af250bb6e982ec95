from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from reports.views.public import matrix_view

admin.site.site_header = "Pledgeproof housekeeping"
admin.site.site_title = "Pledgeproof"

urlpatterns = [
    path("", matrix_view, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("commitments.urls")),
    path("program/", include("reports.urls")),
    path("data/", include("reports.data_urls")),
    path("verify/", include("reports.verify_urls")),
    path("documents/", include("reports.document_urls")),
    path("", include("reports.public_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
