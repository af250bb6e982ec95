"""(Issue 15) the reports endpoints: not written yet."""

urlpatterns: list = []
