"""Signing checkpoints: the current tree head, once per size, never one that contradicts the last."""

import base64

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from commitments.models import Checkpoint, LedgerEntry
from commitments.services.ledger import ledger_append
from commitments.services.ledger.checkpoints import (
    LogInconsistent,
    checkpoint_sign,
    log_key_create,
    log_verifier_key,
)
from commitments.tasks import checkpoint_sign_task
from tools.tlog import merkle, note

pytestmark = pytest.mark.django_db


def append(count):
    for number in range(count):
        ledger_append(event="test.log", subject=("test.thing", number), actor=None, data={"n": number})


def ledger_root():
    return merkle.mth([bytes.fromhex(h) for h in LedgerEntry.objects.values_list("entry_hash", flat=True)])


def test_a_checkpoint_signs_the_current_size_and_root():
    append(5)
    checkpoint = checkpoint_sign()
    body = note.checkpoint_open(checkpoint.note, log_verifier_key())
    assert (body.origin, body.size, body.root) == ("pledgeproof.test/log", 5, ledger_root())
    assert (checkpoint.size, bytes(checkpoint.root)) == (5, ledger_root())
    assert checkpoint.note.splitlines()[2] == base64.b64encode(ledger_root()).decode()


def test_signing_again_without_new_entries_returns_the_same_checkpoint():
    append(2)
    first = checkpoint_sign()
    assert checkpoint_sign() == first
    assert Checkpoint.objects.count() == 1
    append(1)
    assert checkpoint_sign().size == 3
    assert Checkpoint.objects.count() == 2


def test_the_empty_log_gets_a_checkpoint_of_size_zero():
    checkpoint = checkpoint_sign()
    assert note.checkpoint_open(checkpoint.note, log_verifier_key()).root == merkle.EMPTY_ROOT


def test_the_periodic_task_is_scheduled_and_signs():
    append(3)
    schedule = settings.CELERY_BEAT_SCHEDULE["log-checkpoint"]
    assert schedule["task"] == "commitments.tasks.checkpoint_sign_task"
    assert checkpoint_sign_task.delay().get() == 3
    assert Checkpoint.objects.get().size == 3


def _rewrite_node(level, index, value):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            'UPDATE commitments_merklenode SET hash = %s WHERE level = %s AND "index" = %s',
            [value, level, index],
        )


def test_it_refuses_to_sign_a_tree_that_no_longer_extends_the_last_checkpoint():
    append(4)
    checkpoint_sign()
    _rewrite_node(2, 0, merkle.leaf_hash(b"forged"))  # the subtree of entries 1-4
    append(1)
    with pytest.raises(LogInconsistent, match="does not extend the checkpoint at size 4"):
        checkpoint_sign()
    assert Checkpoint.objects.count() == 1


def test_it_refuses_to_sign_leaves_that_are_not_the_entries_hashes():
    append(2)
    checkpoint_sign()
    append(2)
    _rewrite_node(0, 3, merkle.leaf_hash(b"forged"))
    with pytest.raises(LogInconsistent, match="leaf 3 of the tree is not the hash of entry 4"):
        checkpoint_sign()


def test_init_signing_key_creates_the_log_key_once_and_prints_its_verifier_key(tmp_path, settings, capsys):
    settings.PLEDGEPROOF_LOG_KEY = tmp_path / "log-key.pem"
    call_command("init_signing_key")
    first = capsys.readouterr().out
    assert "Created the log key" in first
    key = str(log_verifier_key())
    assert f"Log verifier key: {key}" in first
    assert (tmp_path / "log-key.pem").stat().st_mode & 0o777 == 0o600
    call_command("init_signing_key", replace=False)
    assert "already exists" in capsys.readouterr().out
    assert str(log_verifier_key()) == key


def test_a_missing_or_wrong_log_key_is_a_configuration_error(tmp_path, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PLEDGEPROOF_LOG_KEY = tmp_path / "absent.pem"
    with pytest.raises(ImproperlyConfigured, match="init_signing_key"):
        log_verifier_key()
    settings.PLEDGEPROOF_LOG_KEY = settings.PLEDGEPROOF_SIGNING_KEY  # the PDF key: not Ed25519
    with pytest.raises(ImproperlyConfigured, match="Ed25519"):
        log_verifier_key()
    assert log_key_create(tmp_path / "new.pem").exists()


def test_every_change_is_covered_by_a_checkpoint_once_it_commits(
    report, officer, reviewer, django_capture_on_commit_callbacks
):
    from commitments.vocabulary import ReportStatus
    from outbox.models import OutboxEntry, OutboxKind
    from tests.builders import advance

    earlier = set(OutboxEntry.objects.values_list("pk", flat=True))  # the fixtures' own entries
    with django_capture_on_commit_callbacks(execute=True):
        advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)

    latest = Checkpoint.objects.latest()
    assert latest.size == LedgerEntry.objects.count()  # the submission's own entry is covered
    assert bytes(latest.root) == ledger_root()
    signing = OutboxEntry.objects.filter(kind=OutboxKind.CHECKPOINT_SIGN).exclude(pk__in=earlier)
    assert signing.exists() and not signing.pending().exists()


def test_a_move_is_saved_even_when_its_checkpoint_cannot_be_signed(
    report, officer, reviewer, django_capture_on_commit_callbacks, settings, tmp_path
):
    from commitments.vocabulary import ReportStatus
    from outbox.models import OutboxEntry, OutboxKind
    from tests.builders import advance

    settings.PLEDGEPROOF_LOG_KEY = tmp_path / "no-such-key.pem"  # the log key is not there
    with django_capture_on_commit_callbacks(execute=True):
        moved = advance(report, ReportStatus.SUBMITTED, officer=officer, reviewer=reviewer)

    assert moved.status == ReportStatus.SUBMITTED
    waiting = OutboxEntry.objects.pending().filter(kind=OutboxKind.CHECKPOINT_SIGN)
    assert waiting.exists() and waiting.first().last_error  # retried later, with the reason kept
    assert not Checkpoint.objects.exists()
