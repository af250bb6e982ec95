"""Migration 0005 turns the ledger's payload columns into generated ones without losing a value,
and drops the copy of the time that lay beside the payload."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from commitments.models import LedgerEntry
from commitments.services.ledger import GENESIS_HASH, canonical_json, chain_hash, ledger_append, ledger_verify

TABLE = connection.ops.quote_name(LedgerEntry._meta.db_table)
HEAD = connection.ops.quote_name("commitments_ledgerhead")
BEFORE = [("commitments", "0004_first_submitted_at")]


def old_entries():
    """Three entries as ledger_append wrote them before 0005, columns written beside the payload."""
    prev, rows = GENESIS_HASH, []
    for sequence, (event, actor, subject, report) in enumerate(
        [
            ("report.created", 7, ("commitments.progressreport", "12"), 12),
            ("evidence.added", None, ("commitments.evidence", "30"), 12),
            ("framework.loaded", 2, ("commitments.framework", "sbd"), None),
        ],
        start=1,
    ):
        time = datetime.datetime(2026, 3, sequence, 9, tzinfo=datetime.UTC)
        payload = canonical_json(
            {
                "sequence": sequence,
                "time": time.isoformat(),
                "event": event,
                "actor": actor,
                "actor_email": None if actor is None else f"person{actor}@example.org",
                "subject": {"type": subject[0], "id": subject[1]},
                "report": report,
                "data": {"note": "Überprüfung ✓"},
            }
        )
        entry_hash = chain_hash(prev, payload)
        rows.append((sequence, time, event, actor, *subject, report, payload, prev, entry_hash))
        prev = entry_hash
    return rows


def test_existing_entries_keep_their_columns_and_verify(flushable_ledger):
    MigrationExecutor(connection).migrate(BEFORE)
    rows = old_entries()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {TABLE} (sequence, created_at, event, actor_id, subject_type, subject_id,"
            " report_id, payload, prev_hash, entry_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        cursor.execute(f"INSERT INTO {HEAD} (id, size, head_hash) VALUES (1, 3, %s)", [rows[-1][-1]])

    call_command("migrate", verbosity=0)

    assert list(
        LedgerEntry.objects.values_list(
            "sequence", "event", "actor_id", "subject_type", "subject_id", "report_id", "entry_hash"
        )
    ) == [(r[0], r[2], r[3], r[4], r[5], r[6], r[9]) for r in rows]
    assert LedgerEntry.objects.filter(report_id=12).count() == 2
    # The time column is gone; the entry reads its time from the payload.
    assert [entry.created_at for entry in LedgerEntry.objects.order_by("sequence")] == [r[1] for r in rows]
    result = ledger_verify()
    assert (result.ok, result.count, result.head_hash) == (True, 3, rows[-1][-1]), result.problem
    fourth = ledger_append(event="test.after", subject=("commitments.organisation", "1"), actor=None, data={})
    assert (fourth.sequence, fourth.event, fourth.subject_id) == (4, "test.after", "1")
    assert ledger_verify().ok


def test_it_cannot_be_reversed_once_the_ledger_has_entries(flushable_ledger):
    ledger_append(event="test.one", subject=("commitments.organisation", "1"), actor=None, data={})

    try:
        with pytest.raises(RuntimeError, match="cannot be reversed on a ledger with entries"):
            MigrationExecutor(connection).migrate(BEFORE)

        # Nothing of 0005 was undone.
        assert LedgerEntry.objects.get().event == "test.one"
        assert ledger_verify().ok
    finally:
        # The later migrations were reversed before 0005 refused (each one commits on its own):
        # apply them again, so that the tests after this one find every table.
        call_command("migrate", verbosity=0)
    assert ledger_verify().ok
