"""On PostgreSQL the database itself refuses to change or remove ledger entries (migration 0002)."""

import pytest
from django.db import DatabaseError, connection, transaction

from commitments.models import LedgerEntry
from commitments.services.ledger import ledger_append, ledger_verify
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TABLE = connection.ops.quote_name(LedgerEntry._meta.db_table)


@pytest.fixture
def entry():
    return ledger_append(event="test.one", subject=OrganisationFactory(), actor=None, data={"n": 1})


def run_refused(sql, params=()):
    with (
        pytest.raises(DatabaseError, match="ledger entries are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_raw_update_is_refused(on_postgres, entry):
    run_refused(
        f"UPDATE {TABLE} SET payload = replace(payload, 'test.one', 'test.forged') WHERE id = %s", [entry.pk]
    )

    assert LedgerEntry.objects.get(pk=entry.pk).payload == entry.payload


def test_raw_delete_is_refused(on_postgres, entry):
    run_refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])

    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_truncate_is_refused(on_postgres, entry):
    # A test set-up may switch this trigger off so that transactional tests can flush; the
    # test's own transaction puts it back as the migration left it, and rolls that back after.
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER commitments_ledgerentry_no_truncate")

    run_refused(f"TRUNCATE {TABLE}")

    assert LedgerEntry.objects.count() == 1


def test_appending_still_works(on_postgres, entry):
    ledger_append(event="test.two", subject=OrganisationFactory(), actor=None, data={})

    assert ledger_verify().count == 2
