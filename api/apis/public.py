"""(Issue 15) the public endpoints: not written yet."""

urlpatterns: list = []
