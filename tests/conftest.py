import os
from collections.abc import Iterator

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

# Property tests run Django views and renderers, whose first call warms caches: no per-example
# deadline. Under CI the example database is not kept (each clone starts clean), and examples are
# fewer but still random, so that every run tries new hostile input.
settings.register_profile(
    "pledgeproof",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None if os.environ.get("CI") == "true" else settings.default.database,
    print_blob=True,
)
settings.load_profile("pledgeproof")


# Storage on a folder or an S3-compatible server started for the run (tests/storage_backends.py).
from tests.storage_backends import broken_storage, media, s3_endpoint, storage_backend  # noqa: E402, F401


@pytest.fixture(scope="session", autouse=True)
def signing_key():
    """Every run signs with its own throwaway key (config.test_settings points at a temp folder)."""
    from commitments.services.ledger.checkpoints import log_key_create
    from reports.pdf.signing import SigningFiles, signing_key_create, signing_material

    log_key_create()
    files = SigningFiles.from_settings()
    if not files.exist():
        signing_key_create(files, common_name="Pledgeproof test")
    return signing_material()


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true" and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("CI asked for PostgreSQL but the test database is not PostgreSQL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")
    return True


@pytest.fixture
def framework(db):
    from tests.builders import small_framework

    return small_framework()


@pytest.fixture
def period(framework):
    from tests.builders import period_for

    return period_for(framework)


@pytest.fixture
def org(framework):
    from tests.builders import commit
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(name="Northwind Models", slug="northwind-models")
    commit(organisation, framework)
    return organisation


@pytest.fixture
def other_org(framework):
    from tests.builders import commit
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(name="Bluefin Labs", slug="bluefin-labs")
    commit(organisation, framework)
    return organisation


def _member(organisation, role):
    from tests.factories import MembershipFactory

    return MembershipFactory(organisation=organisation, role=role).user


@pytest.fixture
def officer(org):
    return _member(org, "officer")


@pytest.fixture
def contributor(org):
    return _member(org, "contributor")


@pytest.fixture
def viewer(org):
    return _member(org, "viewer")


@pytest.fixture
def other_officer(other_org):
    return _member(other_org, "officer")


@pytest.fixture
def reviewer(db):
    from tests.factories import UserFactory

    return UserFactory(platform_role="reviewer")


@pytest.fixture
def auditor(db):
    from tests.factories import UserFactory

    return UserFactory(platform_role="auditor")


@pytest.fixture
def program_admin(db):
    from tests.factories import UserFactory

    return UserFactory(platform_role="program_admin", is_staff=True)


@pytest.fixture
def report(org, period, officer):
    from commitments.services.reports import report_create

    return report_create(organisation=org, period=period, acting_user=officer)


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(request, monkeypatch):
    """`Client.force_login` also completes the second factor, for people who have or need one.

    It simulates a session that signed in and then gave its authenticator code: most tests are
    about what a signed-in person can do, not about signing in. A person whose role requires a
    second factor and has none gets an authenticator app set up through the services first.
    Tests of the second factor itself are marked `real_second_factor`: there force_login gives
    the password step only, as a password sign-in does.
    """
    if request.node.get_closest_marker("real_second_factor"):
        return
    from django.test import Client

    force_login = Client.force_login

    def force_login_with_second_factor(self, user, backend=None):
        force_login(self, user, backend)
        second_factor_complete(self, user)

    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)


def second_factor_complete(client, user) -> None:
    """Mark the client's session as having given its code (what the code step does)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.selectors import second_factor_summary
    from tests.builders import authenticator_for

    device = second_factor_summary(user=user).authenticator
    if device is None:
        if not user.second_factor_required:
            return
        device, _codes = authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Public pages are cached across requests; each test starts from an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def flushable_ledger(transactional_db) -> Iterator[None]:
    """Let the flush after a transactional test empty the append-only ledger on PostgreSQL.

    After a transactional_db test, pytest-django (Django's TransactionTestCase) empties every
    table with one TRUNCATE, which the ledger's BEFORE TRUNCATE trigger refuses on PostgreSQL.
    serialized_rollback does not help: it reloads data *before* a test but still flushes after.
    ALTER TABLE ... DISABLE TRIGGER would change the schema for every connection and needs a
    matching ENABLE after the flush, which no fixture can run (the flush is the last teardown).

    Instead, just before the flush, this connection is put in `session_replication_role =
    replica`, in which PostgreSQL fires no ordinary triggers for this session only. The flush then
    runs on the same connection, and TransactionTestCase closes every connection straight after
    it, so the setting dies with the session: the trigger stays in place and in force for every
    other connection and every later test. Requesting transactional_db makes this teardown run
    before the flush. It needs a superuser, as the CI and local `postgres` role is. SQLite has no
    such trigger.
    """
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.fixture(autouse=True)
def _transactional_tests_flush_the_ledger(request) -> None:
    """Every transactional test (marked so, or using the live server) gets `flushable_ledger`.

    Forgetting it shows only on PostgreSQL, as an error at teardown; this makes it impossible
    to forget. (The trigger's own tests are not transactional: they run inside a transaction.)
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("flushable_ledger")
