"""Open data downloads under /data/. (Issue 4.)"""

from django.urls import path

from reports.opendata import views

app_name = "data"
# Mounted under /data/ by reports.urls. The schema and feed paths are published: keep them stable.
urlpatterns: list = [
    path("", views.index_view, name="index"),
    path("feed.atom", views.feed_view, name="feed"),
    path("schema/open-data.schema.json", views.schema_view, name="schema"),
    path("<slug:framework>/<str:period>/", views.period_view, name="period"),
    path("<slug:framework>/<str:period>/<str:filename>", views.file_view, name="file"),
]
