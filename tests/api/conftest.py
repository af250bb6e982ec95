from collections.abc import Iterator

import pytest
from django.db import transaction

from tests.api.world import World, build_world


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """tests/api/world.py's world, built once per module and rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
