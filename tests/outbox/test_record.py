"""Recording a side effect: in the change's transaction, once per key, nothing on rollback."""

import pytest
from django.core import mail
from django.db import transaction

from accounts.services import invitation_create
from commitments.services.reports import report_submit
from outbox.handlers import HANDLERS
from outbox.models import OutboxEntry, OutboxKind, OutboxStatus
from outbox.services import record
from tests.builders import answer_all

pytestmark = pytest.mark.django_db


def test_every_kind_has_one_handler():
    assert set(HANDLERS) == set(OutboxKind)


def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(
    report, officer, reviewer, django_capture_on_commit_callbacks
):
    answer_all(report, officer)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError, match="boom"),
        transaction.atomic(),
    ):
        report_submit(report=report, acting_user=officer)
        assert OutboxEntry.objects.filter(kind=OutboxKind.EMAIL).count() == 1
        raise RuntimeError("boom")

    assert not OutboxEntry.objects.exists()
    assert mail.outbox == []


def test_a_committed_change_sends_its_email_once_and_marks_the_row_done(
    report, officer, reviewer, django_capture_on_commit_callbacks
):
    answer_all(report, officer)

    with django_capture_on_commit_callbacks(execute=True):
        report_submit(report=report, acting_user=officer)

    assert [message.to for message in mail.outbox] == [[reviewer.email]]
    entry = OutboxEntry.objects.get(kind=OutboxKind.EMAIL)  # the move also signs a log checkpoint
    assert entry.key == f"report_submitted:{report.pk}:r1"
    assert (entry.status, entry.attempts) == (OutboxStatus.DONE, 1)
    assert entry.done_at is not None and entry.claimed_until is None


def test_the_same_key_recorded_twice_is_one_side_effect(program_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _token = invitation_create(
            acting_user=program_admin, email="new@example.test", platform_role="reviewer"
        )
        with transaction.atomic():
            again = record(
                OutboxKind.EMAIL,
                {"template": "invitation", "to": ["new@example.test"], "context": {}},
                key=f"invitation:{invitation.pk}",
            )

    assert OutboxEntry.objects.get() == again
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused():
    # Autocommit, as in a view without atomic(): the row could commit without the change.
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(OutboxKind.PUBLIC_CACHE_BUMP, {})

    assert not OutboxEntry.objects.exists()


@pytest.mark.parametrize(
    ("kind", "key", "payload", "error"),
    [
        ("sms", None, {}, ValueError),
        (OutboxKind.EMAIL, "x" * 201, {}, ValueError),
        (OutboxKind.EMAIL, None, {"when": object()}, TypeError),
    ],
    ids=["unknown kind", "oversized key", "payload not JSON"],
)
def test_malformed_side_effects_are_refused_before_anything_is_written(kind, key, payload, error):
    with pytest.raises(error), transaction.atomic():
        record(kind, payload, key=key)

    assert not OutboxEntry.objects.exists()
