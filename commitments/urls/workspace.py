# Officer workspace: dashboard, report editor, evidence. (Issue 3.)
urlpatterns: list = []
