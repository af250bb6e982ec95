"""(Issue 15) the ledger endpoints: not written yet."""

urlpatterns: list = []
