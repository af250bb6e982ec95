"""`manage.py witness`: a witness run over real HTTP against the live log. It saves a
checkpoint, accepts a log that grew, and exits 1 when the log was rewritten or truncated, even
when the platform re-signed everything and its own verify_ledger passes."""

import socket

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from commitments.services.ledger import ledger_append
from commitments.services.ledger.checkpoints import checkpoint_sign, log_verifier_key
from tests.commitments.log.test_verify_ledger_log import rewrite_consistently, truncate

pytestmark = pytest.mark.django_db(transaction=True)

backfill = __import__("commitments.migrations.0008_merkle_backfill_and_append_only", fromlist=["x"]).backfill


def append(count, start=0):
    for number in range(start, start + count):
        ledger_append(event="test.log", subject=("test.n", number), actor=None, data={"verdict": "verified"})


def resign_everything():
    """What an operator holding the database and the log key would do after rewriting history."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM commitments_merklenode")
        cursor.execute("DELETE FROM commitments_checkpoint")
    backfill(apps, None)
    return checkpoint_sign()


@pytest.fixture
def witness(live_server, tmp_path):
    def run(*, key=None):
        call_command(
            "witness", f"{live_server.url}/log", state=tmp_path / "state", key=key or str(log_verifier_key())
        )
        return (tmp_path / "state" / "checkpoint").read_text()

    return run


def test_a_witness_saves_the_checkpoint_and_follows_a_growing_log(witness, capsys):
    append(6)
    assert witness().splitlines()[1] == "6"
    assert "first checkpoint saved" in capsys.readouterr().out
    append(300, start=6)  # past a full tile
    assert witness().splitlines()[1] == "306"
    assert "consistent with the checkpoint saved at size 6" in capsys.readouterr().out


def test_a_consistent_rewrite_re_signed_by_the_platform_fails_the_witness(witness):
    append(6)
    witness()
    rewrite_consistently(3, {"verdict": "not_verified"})
    append(1, start=6)
    resign_everything()
    call_command("verify_ledger")  # the platform's own check: all re-signed, all consistent
    with pytest.raises(
        CommandError, match="INCONSISTENT.*does not extend the checkpoint saved at size 6"
    ) as caught:
        witness()
    assert caught.value.returncode == 1


def test_a_truncated_log_fails_the_witness(witness):
    append(6)
    saved = witness()
    truncate(4)
    resign_everything()
    with pytest.raises(
        CommandError,
        match="INCONSISTENT: the log shrank: its checkpoint says 4 entries, the checkpoint saved at size 6",
    ):
        witness()
    append(3, start=10)  # grown past the old size, with other entries
    checkpoint_sign()
    with pytest.raises(CommandError, match="INCONSISTENT.*does not extend the checkpoint saved at size 6"):
        witness()
    assert saved.splitlines()[1] == "6"


def test_a_checkpoint_signed_by_another_key_fails_the_witness(witness):
    append(2)
    other = "pledgeproof.test/log+00000000+AW+gtgD2rDo4YRdEV1oNpArOLmmfCCa93nW6fXC2HfUs"
    with pytest.raises(CommandError, match="bad verifier key"):
        witness(key=other)


def test_an_unreachable_log_is_reported_as_not_checked(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(CommandError, match="Could not check the log: could not fetch") as caught:
        call_command(
            "witness", f"http://127.0.0.1:{port}/log", state=tmp_path / "state", key=str(log_verifier_key())
        )
    assert caught.value.returncode == 2
