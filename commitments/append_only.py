"""The PostgreSQL triggers that make the ledger's tables append-only, by name.

Migration 0002 creates them on the ledger's entries, 0008 on its Merkle tree and checkpoints, and
verify_ledger checks that they are all still there and in force: all three read the names from
here. SQLite has no such triggers; there the ledger's checks alone catch tampering.
"""

# One function serves every table: it refuses whatever fired it.
FUNCTION = "commitments_ledgerentry_append_only"

LEDGER_TABLE = "commitments_ledgerentry"
LOG_TABLES = ("commitments_merklenode", "commitments_checkpoint")
TABLES = (LEDGER_TABLE, *LOG_TABLES)


def row_trigger(table: str) -> str:
    """The trigger refusing UPDATE and DELETE of any row of `table`."""
    return f"{table}_no_update_delete"


def truncate_trigger(table: str) -> str:
    """The trigger refusing TRUNCATE of `table`."""
    return f"{table}_no_truncate"


ROW_TRIGGER = row_trigger(LEDGER_TABLE)
TRUNCATE_TRIGGER = truncate_trigger(LEDGER_TABLE)
