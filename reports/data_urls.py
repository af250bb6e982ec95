"""Open data downloads under /data/. (Issue 4.)"""

app_name = "data"
urlpatterns: list = []
