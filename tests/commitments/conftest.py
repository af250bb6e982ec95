import pytest


@pytest.fixture
def item(report):
    """The report's first item in framework order."""
    return report.items.select_related("node", "report").order_by("node__position").first()
