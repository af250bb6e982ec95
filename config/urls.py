from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from commitments import views as commitment_views

admin.site.site_header = "Pledgeproof housekeeping"
admin.site.site_title = "Pledgeproof"

urlpatterns = [
    path("", commitment_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
