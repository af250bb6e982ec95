"""work pages of an audit engagement (issue 14): workpapers, findings, attestation, the company's response."""

from django.urls import path

from audits.views import work

urlpatterns = [
    path(
        "<id:engagement_id>/items/<id:item_id>/workpaper/",
        work.workpaper_save_view,
        name="workpaper_save",
    ),
    path(
        "<id:engagement_id>/items/<id:item_id>/workpaper/sign-off/",
        work.workpaper_sign_off_view,
        name="workpaper_sign_off",
    ),
    path("<id:engagement_id>/items/<id:item_id>/finding/", work.finding_record_view, name="finding_record"),
    path("<id:engagement_id>/attest/", work.attest_view, name="attest"),
    path("<id:engagement_id>/attest/correct/", work.attest_correct_view, name="attest_correct"),
    path("findings/<id:finding_id>/respond/", work.finding_respond_view, name="finding_respond"),
]
