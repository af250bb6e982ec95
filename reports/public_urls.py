"""Public transparency pages: only published snapshots, no login. (Issue 4.)"""

app_name = "public"
urlpatterns: list = []
