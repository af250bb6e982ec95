"""Fixtures for the production-serving tests."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.support import ROOT, clean_env


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """STATIC_ROOT filled by `collectstatic` with the production storage (hashed, compressed names)."""
    root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=clean_env(DEBUG="1", STATIC_ROOT=str(root)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return root


@pytest.fixture
def cache_outage():
    """Forget what earlier tests taught this process about the cache (config.cache's pause)."""
    from django.core.cache import caches

    from config.cache import outage

    outage.reset()
    caches["counters"].clear()  # and the counts kept in this process during earlier outages
    yield outage
    outage.reset()
    caches["counters"].clear()
