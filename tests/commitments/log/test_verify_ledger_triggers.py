"""verify_ledger checks, on PostgreSQL, that the database itself still refuses to change the
ledger, its Merkle tree and its checkpoints (migrations 0002 and 0008): a superuser who drops,
disables or empties a trigger, or has it fire only for replication, is named (issue 13, item 6).

Everything here runs in the test's transaction, so each change of the schema is rolled back
after it, as the trigger's own tests are (test_ledger_trigger.py).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from commitments.append_only import FUNCTION, LEDGER_TABLE, ROW_TRIGGER, TABLES, TRUNCATE_TRIGGER
from commitments.services.ledger.checkpoints import checkpoint_sign
from tests.commitments.log.test_verify_ledger_log import append

pytestmark = pytest.mark.django_db

MERKLE_TABLE, CHECKPOINT_TABLE = "commitments_merklenode", "commitments_checkpoint"


@pytest.fixture(autouse=True)
def log():
    append(3)
    checkpoint_sign()


def sql(statement):
    with connection.cursor() as cursor:
        cursor.execute(statement)


def fails() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", stdout=StringIO())
    assert failure.value.returncode == 1
    return str(failure.value)


def test_an_untouched_database_has_its_triggers_in_force_and_sqlite_has_none_to_speak_of():
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    if connection.vendor == "postgresql":
        assert f"Append-only triggers in force on {', '.join(TABLES)}." in out.getvalue()
    else:
        assert "trigger" not in out.getvalue()


@pytest.mark.postgres
def test_a_disabled_ledger_trigger_is_named_with_what_it_no_longer_refuses(on_postgres):
    sql(f"ALTER TABLE {LEDGER_TABLE} DISABLE TRIGGER {ROW_TRIGGER}")

    message = fails()

    assert (
        f"The trigger {ROW_TRIGGER} on {LEDGER_TABLE} is disabled: the database no longer refuses UPDATE or "
        "DELETE of ledger entries." in message
    )
    assert TRUNCATE_TRIGGER not in message


@pytest.mark.postgres
def test_a_dropped_truncate_trigger_is_named(on_postgres):
    sql(f"DROP TRIGGER {TRUNCATE_TRIGGER} ON {LEDGER_TABLE}")

    assert (
        f"The trigger {TRUNCATE_TRIGGER} on {LEDGER_TABLE} is missing: the database no longer refuses "
        "TRUNCATE of ledger entries." in fails()
    )


@pytest.mark.postgres
def test_a_trigger_set_to_fire_only_for_replication_is_not_in_force(on_postgres):
    sql(f"ALTER TABLE {LEDGER_TABLE} ENABLE REPLICA TRIGGER {ROW_TRIGGER}")

    assert f"The trigger {ROW_TRIGGER} on {LEDGER_TABLE} fires only in replication sessions" in fails()


@pytest.mark.postgres
def test_a_trigger_set_to_fire_always_is_in_force(on_postgres):
    sql(f"ALTER TABLE {LEDGER_TABLE} ENABLE ALWAYS TRIGGER {ROW_TRIGGER}")

    call_command("verify_ledger", stdout=StringIO())


@pytest.mark.postgres
def test_the_merkle_tree_and_checkpoint_triggers_are_checked_too(on_postgres):
    sql(f"DROP TRIGGER {MERKLE_TABLE}_no_update_delete ON {MERKLE_TABLE}")
    sql(f"ALTER TABLE {CHECKPOINT_TABLE} DISABLE TRIGGER USER")

    message = fails()

    assert (
        f"The trigger {MERKLE_TABLE}_no_update_delete on {MERKLE_TABLE} is missing: the database no longer "
        "refuses UPDATE or DELETE of merkle nodes." in message
    )
    assert f"{CHECKPOINT_TABLE}_no_update_delete on {CHECKPOINT_TABLE} is disabled" in message
    assert f"{CHECKPOINT_TABLE}_no_truncate on {CHECKPOINT_TABLE} is disabled" in message
    assert "TRUNCATE of checkpoints" in message


@pytest.mark.postgres
def test_a_trigger_function_emptied_of_its_refusal_is_named(on_postgres):
    sql(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN OLD; END; $$"
    )

    assert f"The trigger function {FUNCTION}() no longer raises an error" in fails()


@pytest.mark.postgres
def test_a_dropped_trigger_function_takes_every_trigger_with_it_and_all_are_named(on_postgres):
    sql(f"DROP FUNCTION {FUNCTION}() CASCADE")

    message = fails()

    assert f"The trigger function {FUNCTION}() is missing" in message
    for table in TABLES:
        assert f"{table}_no_update_delete on {table} is missing" in message
        assert f"{table}_no_truncate on {table} is missing" in message


@pytest.mark.postgres
def test_a_trigger_recreated_to_call_another_function_is_named(on_postgres):
    sql("CREATE FUNCTION pp_test_allow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END; $$")
    sql(f"DROP TRIGGER {ROW_TRIGGER} ON {LEDGER_TABLE}")
    sql(
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {LEDGER_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION pp_test_allow()"
    )

    assert f"The trigger {ROW_TRIGGER} on {LEDGER_TABLE} calls another function than {FUNCTION}()" in fails()


@pytest.mark.postgres
def test_a_trigger_recreated_for_fewer_events_or_under_a_condition_is_named(on_postgres):
    sql(f"DROP TRIGGER {ROW_TRIGGER} ON {LEDGER_TABLE}")
    sql(
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE DELETE ON {LEDGER_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    assert "no longer fires for every change it should" in fails()

    sql(f"DROP TRIGGER {ROW_TRIGGER} ON {LEDGER_TABLE}")
    sql(
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {LEDGER_TABLE} FOR EACH ROW "
        f"WHEN (OLD.sequence < 0) EXECUTE FUNCTION {FUNCTION}()"
    )
    assert "fires only under a WHEN condition" in fails()


@pytest.mark.postgres
def test_a_session_that_fires_no_triggers_is_named(on_postgres):
    sql("SET LOCAL session_replication_role = replica")

    assert "This session runs with session_replication_role = replica" in fails()
