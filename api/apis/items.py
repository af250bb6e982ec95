"""(Issue 15) the items endpoints: not written yet."""

urlpatterns: list = []
