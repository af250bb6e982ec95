"""The restore drill of README "Running in production", on PostgreSQL: pg_dump of the database,
restore into a new database, and `verify_ledger` against the copy says the ledger is intact (and
says it is not once the copy is tampered with, so the drill can tell)."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from commitments.models import LedgerEntry
from tests.builders import period_for, small_framework
from tests.config.support import ROOT, clean_env
from tests.factories import UserFactory
from tests.reports.public_builders import committed_org, published

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{name}"


def _run(*command: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stderr}"
    return result


def _verify_ledger(database_url: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "verify_ledger", *options],
        cwd=ROOT,
        env=clean_env(
            DEBUG="0",
            SECRET_KEY=settings.SECRET_KEY,
            DATABASE_URL=database_url,
            # The signed checkpoints are checked with the log key under the log's name.
            PLEDGEPROOF_LOG_KEY=str(settings.PLEDGEPROOF_LOG_KEY),
            PLEDGEPROOF_LOG_ORIGIN=settings.PLEDGEPROOF_LOG_ORIGIN,
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def restored_name(on_postgres):
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_dump_passes_verify_ledger_and_a_tampered_one_fails(restored_name, tmp_path: Path):
    framework = small_framework()
    admin = UserFactory(platform_role="program_admin", is_staff=True)
    org = committed_org(framework, "Northwind Models", "northwind-models")
    published(org, period_for(framework), reviewer=UserFactory(platform_role="reviewer"), admin=admin)
    head = LedgerEntry.objects.order_by("-sequence").first()
    count = LedgerEntry.objects.count()
    assert count > 5

    # The drill, as the README gives it.
    dump = tmp_path / "pledgeproof.dump"
    _run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _url(connection.settings_dict["NAME"]))
    _run("createdb", f"--maintenance-db={_url('postgres')}", restored_name)
    _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(restored_name)}", str(dump))

    for options in ((), ("--reference",)):
        result = _verify_ledger(_url(restored_name), *options)
        assert result.returncode == 0, result.stderr
        assert f"Ledger intact: {count} entries, head {head.entry_hash}" in result.stdout

    # Someone edits an entry of the copy (the trigger would refuse; a superuser can switch it off):
    # one space added to a payload, which is still the same JSON.
    table = LedgerEntry._meta.db_table
    edited = _run(
        "psql",
        _url(restored_name),
        "--command",
        "SET session_replication_role = replica; "
        f"UPDATE {table} SET payload = payload || ' ' "
        f"WHERE sequence = (SELECT min(sequence) + 2 FROM {table})",
    )
    assert "UPDATE 1" in edited.stdout
    tampered = _verify_ledger(_url(restored_name))
    assert tampered.returncode == 1
    assert "Ledger check failed." in tampered.stderr
