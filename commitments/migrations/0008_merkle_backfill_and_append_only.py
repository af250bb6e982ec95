"""Build the Merkle tree of the entries appended before it existed, and make its tables
append-only on PostgreSQL as the ledger's is (the function of 0002 raises for any table).

Only the complete-subtree hashes are written; nothing in the ledger changes. Rolling back leaves
the nodes (the previous migration drops their table).
"""

from django.db import migrations

from commitments.append_only import FUNCTION, LOG_TABLES, row_trigger, truncate_trigger
from tools.tlog import merkle


def backfill(apps, schema_editor):
    LedgerEntry = apps.get_model("commitments", "LedgerEntry")
    MerkleNode = apps.get_model("commitments", "MerkleNode")
    if MerkleNode.objects.exists():
        return
    nodes: dict[tuple[int, int], bytes] = {}
    batch = []
    hashes = LedgerEntry.objects.order_by("sequence").values_list("sequence", "entry_hash")
    for sequence, entry_hash in hashes.iterator(chunk_size=5000):
        for level, index, value in merkle.nodes_completed_by(
            sequence - 1, bytes.fromhex(entry_hash), lambda keys: {key: nodes[key] for key in keys}
        ):
            nodes[(level, index)] = value
            batch.append(MerkleNode(level=level, index=index, hash=value))
        if len(batch) >= 5000:
            MerkleNode.objects.bulk_create(batch)
            batch = []
    MerkleNode.objects.bulk_create(batch)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in LOG_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {row_trigger(table)} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {truncate_trigger(table)} BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in LOG_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {truncate_trigger(table)} ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {row_trigger(table)} ON {table}")


class Migration(migrations.Migration):
    dependencies = [("commitments", "0007_merkle_nodes_and_checkpoints")]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
