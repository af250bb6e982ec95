"""On PostgreSQL, are the ledger's tables still append-only in the database itself?

Migrations 0002 and 0008 give the ledger's entries, its Merkle tree and its checkpoints triggers
that refuse UPDATE, DELETE and TRUNCATE whoever sends them: a shell, raw SQL, another client.
Someone with a superuser's rights can switch them off (ALTER TABLE ... DISABLE TRIGGER), drop
them, empty the function they call, or have them fire only for replication; the ledger's
other checks catch what was then changed, and this check says that the protection is gone. It
reads the database's own catalogue (pg_trigger, pg_proc) and writes nothing.

SQLite has no such triggers: there is nothing to check, and nothing is said.
"""

from __future__ import annotations

from django.db import connection

from commitments.append_only import FUNCTION, TABLES, row_trigger, truncate_trigger
from commitments.models import Checkpoint, LedgerEntry, MerkleNode

# pg_trigger.tgtype bits (PostgreSQL's include/catalog/pg_trigger.h).
_ROW, _DELETE, _UPDATE, _TRUNCATE = 1, 8, 16, 32
# pg_trigger.tgenabled: 'O' fires in ordinary sessions, 'A' always; 'R' only in sessions that
# replicate (session_replication_role = replica), 'D' never. Only the first two protect.
_IN_FORCE = ("O", "A")

_MODELS = {model._meta.db_table: model for model in (LedgerEntry, MerkleNode, Checkpoint)}
if set(_MODELS) != set(TABLES):  # a table added to one list and not the other
    raise RuntimeError("commitments.append_only.TABLES and the log's models disagree")


def ledger_verify_triggers() -> list[str]:
    """What is wrong with the append-only triggers, in words; empty when they are all in force."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid, p.prosrc FROM pg_proc p WHERE p.oid = to_regprocedure(%s)", [f"{FUNCTION}()"]
        )
        function = cursor.fetchone()
        problems = []
        if function is None:
            problems.append(
                f"The trigger function {FUNCTION}() is missing: the triggers that call it can refuse nothing."
            )
        elif "RAISE EXCEPTION" not in function[1].upper():
            problems.append(
                f"The trigger function {FUNCTION}() no longer raises an error: the triggers that call it "
                "let every change through."
            )
        for table in TABLES:
            cursor.execute(
                "SELECT t.tgname, t.tgenabled, t.tgtype, t.tgfoid, t.tgqual IS NOT NULL FROM pg_trigger t "
                "WHERE t.tgrelid = to_regclass(%s) AND NOT t.tgisinternal",
                [table],
            )
            found = {name: rest for name, *rest in cursor.fetchall()}
            rows = _MODELS[table]._meta.verbose_name_plural
            expected = [
                (row_trigger(table), _ROW | _UPDATE | _DELETE, f"UPDATE or DELETE of {rows}"),
                (truncate_trigger(table), _TRUNCATE, f"TRUNCATE of {rows}"),
            ]
            for name, events, refuses in expected:
                problem = _trigger_problem(found.get(name), events, function[0] if function else None)
                if problem:
                    problems.append(
                        f"The trigger {name} on {table} {problem}: the database no longer refuses {refuses}."
                    )
        cursor.execute("SHOW session_replication_role")
        if cursor.fetchone()[0] == "replica":
            problems.append(
                "This session runs with session_replication_role = replica (set for the database or the "
                "role), in which PostgreSQL fires none of these triggers."
            )
    return problems


def _trigger_problem(found: list | None, events: int, function_oid: int | None) -> str:
    if found is None:
        return "is missing"
    enabled, tgtype, calls, has_condition = found
    if enabled == "D":
        return "is disabled"
    if enabled not in _IN_FORCE:
        return "fires only in replication sessions"
    if tgtype & events != events:
        return "no longer fires for every change it should"
    if has_condition:
        return "fires only under a WHEN condition"
    if function_oid is not None and calls != function_oid:
        return f"calls another function than {FUNCTION}()"
    return ""
