"""The public attestation pages (issue 14): anyone may read a signed attestation."""

from django.urls import path

from audits.views import public

urlpatterns = [
    path("attestations/<id:attestation_id>/", public.attestation_view, name="public_attestation"),
]
