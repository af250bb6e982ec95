import pytest


@pytest.fixture
def media(settings, tmp_path):
    """Evidence stored in a folder of this test's own, so what a test leaves behind can be listed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def item(report):
    """The report's first item in framework order."""
    return report.items.select_related("node", "report").order_by("node__position").first()
