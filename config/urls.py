from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from api.problems import api_not_found, api_server_error, is_api
from reports.public.views import matrix_view

admin.site.site_header = "Pledgeproof housekeeping"
admin.site.site_title = "Pledgeproof"

urlpatterns = [
    path("", matrix_view, name="home"),
    path("accounts/api-tokens/", include("api.urls_web")),
    path("accounts/", include("accounts.urls")),
    path("", include("commitments.urls")),
    path("log/", include("commitments.urls.log")),  # the public transparency log (issue 13)
    path("audits/", include("audits.urls")),  # independent audits (issue 14)
    path("bundles/", include("bundles.urls")),  # audit bundles (issue 16)
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),  # the REST API (issue 15)
]


def handler404(request, exception):
    """Under /api/ a problem-details 404, elsewhere the site's page."""
    return api_not_found(request) if is_api(request) else defaults.page_not_found(request, exception)


def handler500(request):
    return api_server_error(request) if is_api(request) else defaults.server_error(request)
