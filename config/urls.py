from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from reports.public.views import matrix_view

admin.site.site_header = "Pledgeproof housekeeping"
admin.site.site_title = "Pledgeproof"

urlpatterns = [
    path("", matrix_view, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("commitments.urls")),
    path("log/", include("commitments.urls.log")),  # the public transparency log (issue 13)
    path("audits/", include("audits.urls")),  # independent audits (issue 14)
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
