"""/api/: the versioned REST API (v1), its schema, its docs and its problem types."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views
from api.apis import (
    audits,
    documents,
    evidence,
    frameworks,
    items,
    ledger,
    organisations,
    public,
    publications,
    reports,
    reviews,
)

app_name = "api"

v1 = [
    path("frameworks/", frameworks.FrameworkListApi.as_view(), name="framework-list"),
    path("frameworks/<id:pk>/", frameworks.FrameworkDetailApi.as_view(), name="framework-detail"),
    path("frameworks/<id:pk>/nodes/", frameworks.FrameworkNodeListApi.as_view(), name="framework-nodes"),
    # One list per area, kept in the area's module (api/apis/).
    *organisations.urlpatterns,
    *reports.urlpatterns,
    *items.urlpatterns,
    *evidence.urlpatterns,
    *reviews.urlpatterns,
    *publications.urlpatterns,
    *public.urlpatterns,
    *ledger.urlpatterns,
    *audits.urlpatterns,
    *documents.urlpatterns,
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("problems/", views.problems_view, name="problems"),
    path("v1/", include(v1)),
]
