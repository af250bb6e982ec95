"""(Issue 15) the reviews endpoints: not written yet."""

urlpatterns: list = []
