"""Evidence requests of an audit engagement (issue 14): the auditor opens one from the item page and
closes it; the organisation's officers answer on the request's page."""

from django.urls import path

from audits.views import requests as views

urlpatterns = [
    path("<id:engagement_id>/items/<id:item_id>/requests/", views.request_create, name="request_open"),
    path("requests/<id:request_id>/", views.request_page, name="request"),
    path("requests/<id:request_id>/close/", views.request_close_view, name="request_close"),
    path(
        "requests/<id:request_id>/replies/<id:reply_id>/file/",
        views.reply_file,
        name="request_reply_file",
    ),
    path(
        "requests/<id:request_id>/replies/<id:reply_id>/preview/",
        views.reply_preview,
        name="request_reply_preview",
    ),
]
