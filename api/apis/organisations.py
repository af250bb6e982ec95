"""(Issue 15) the organisations endpoints: not written yet."""

urlpatterns: list = []
