"""(Issue 15) the evidence endpoints: not written yet."""

urlpatterns: list = []
