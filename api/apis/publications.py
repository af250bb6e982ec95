"""(Issue 15) the publications endpoints: not written yet."""

urlpatterns: list = []
