"""(Issue 15) the audits endpoints: not written yet."""

urlpatterns: list = []
