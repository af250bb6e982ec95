"""requests pages of an audit engagement (issue 14)."""

urlpatterns = []
