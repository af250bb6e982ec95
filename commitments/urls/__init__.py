"""Web app URLs of the commitments app: the officer workspace and the review pages."""

from commitments.urls import review, workspace

urlpatterns = workspace.urlpatterns + review.urlpatterns
app_name = "commitments"
