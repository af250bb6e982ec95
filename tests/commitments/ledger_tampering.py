"""Tampering with the ledger as someone with database access would: raw SQL around the
application, and the chains the tamper cases start from."""

import re
from contextlib import contextmanager

import pytest
from django.db import connection

from commitments.models import LedgerEntry
from commitments.services.ledger import ledger_append
from tests.factories import OrganisationFactory, UserFactory

TABLE = connection.ops.quote_name(LedgerEntry._meta.db_table)


@contextmanager
def triggers_disabled():
    """On PostgreSQL the append-only trigger refuses tampering; a superuser can switch it off."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


def tamper(sql, params=()):
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def make_writable(*columns):
    """Redefine payload columns as plain ones that keep their values, as someone could with DDL."""
    if connection.vendor == "postgresql":
        for column in columns:
            tamper(f'ALTER TABLE {TABLE} ALTER COLUMN "{column}" DROP EXPRESSION')
        return
    # SQLite cannot alter a column: rebuild the table from its own definition, minus the clauses.
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [LedgerEntry._meta.db_table])
        sql = cursor.fetchone()[0]
        for column in columns:
            sql = re.sub(rf'("{column}" [a-z0-9()]+) GENERATED ALWAYS AS \(.*?\) STORED', r"\1", sql)
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO ledger_before")
        cursor.execute(sql)
        kept = ", ".join(
            [f'"{f.column}"' for f in LedgerEntry._meta.concrete_fields if not f.generated]
            + [f'"{column}"' for column in columns]
        )
        cursor.execute(f"INSERT INTO {TABLE} ({kept}) SELECT {kept} FROM ledger_before")
        cursor.execute("DROP TABLE ledger_before")


@pytest.fixture
def chain():
    """Five entries about one organisation, every other one by a person, two for a report."""
    organisation = OrganisationFactory()
    person = UserFactory()
    return [
        ledger_append(
            event=f"test.step{n}",
            subject=organisation,
            actor=person if n % 2 else None,
            data={"n": n, "note": "Überprüfung ✓"},
            report_id=40 + n if n > 3 else None,
        )
        for n in range(1, 6)
    ]


AWKWARD_TEXT = 'tab\there, new\nline, back\\slash, "quoted", 100% Überprüfung ✓ \u2028 \x01'


@pytest.fixture
def awkward_chain(chain):
    """The five entries, then three whose payloads JSON has to escape and whose columns are odd."""
    organisation = chain[0].subject_id
    return chain + [
        ledger_append(
            event="test.awkward",
            subject=("commitments.organisation", organisation),
            actor=None,
            data={"narrative": AWKWARD_TEXT, AWKWARD_TEXT: [AWKWARD_TEXT, {"time": AWKWARD_TEXT}]},
        ),
        # An event and a subject type that need escaping (and hold a %), a subject id with a quote.
        ledger_append(
            event='test.100%-"odd"\\event',
            subject=("commitments.odd\ttype", 'id"with\\quote'),
            actor=None,
            data={"n": 7},
            report_id=7,
        ),
        ledger_append(
            event="test.after",
            subject=("commitments.organisation", organisation),
            actor=None,
            data={"n": 8},
        ),
    ]
