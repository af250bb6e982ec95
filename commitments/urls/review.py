# Reviewer queue and review pages. (Issue 3.)
urlpatterns: list = []
