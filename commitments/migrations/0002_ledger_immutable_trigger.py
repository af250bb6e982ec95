"""On PostgreSQL, refuse UPDATE, DELETE and TRUNCATE of ledger entries in the database itself.

The model and its QuerySet already refuse them, but raw SQL, a shell or another client would
not go through those. SQLite has no such triggers here; ledger_verify still catches tampering.
"""

from django.db import migrations

from commitments.append_only import FUNCTION, ROW_TRIGGER, TRUNCATE_TRIGGER


def _table(apps, schema_editor):
    return schema_editor.quote_name(apps.get_model("commitments", "LedgerEntry")._meta.db_table)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = _table(apps, schema_editor)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger entries are append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END;
        $$
        """,
        params=None,  # the '%' are plpgsql's, not query parameters
    )
    schema_editor.execute(
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = _table(apps, schema_editor)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {table}")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
