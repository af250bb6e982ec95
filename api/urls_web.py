"""/accounts/api-tokens/: one's own personal API tokens (HTML; outside /api/, whose errors are JSON)."""

from django.urls import path

from api import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.tokens_view, name="list"),
    path("<id:pk>/revoke/", views.token_revoke_view, name="revoke"),
]
