"""Operators see what is stuck in the outbox, and can change nothing there."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import invitation_create
from outbox.models import OutboxEntry, OutboxStatus
from tests.outbox.conftest import broker_back

pytestmark = pytest.mark.django_db

LIST = reverse("admin:outbox_outboxentry_changelist")


def change_url(entry):
    return reverse("admin:outbox_outboxentry_change", args=[entry.pk])


@pytest.fixture
def entries(program_admin, broker_down, django_capture_on_commit_callbacks):
    """One email stuck (sent while the broker was down), one delivered."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(acting_user=program_admin, email="stuck@example.test", platform_role="reviewer")
    broker_back()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(acting_user=program_admin, email="sent@example.test", platform_role="auditor")
    stuck, sent = OutboxEntry.objects.order_by("pk")
    assert (stuck.status, sent.status) == (OutboxStatus.PENDING, OutboxStatus.DONE)
    return stuck, sent


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser(email="housekeeper@example.test", password="x"))
    return client


def test_anonymous_visitors_and_people_who_are_not_staff_are_sent_to_the_admin_login(client, officer):
    assert reverse("admin:login") in client.get(LIST)["Location"]
    client.force_login(officer)
    assert reverse("admin:login") in client.get(LIST)["Location"]


def test_staff_without_the_permission_cannot_see_the_outbox(client, entries):
    staff = User.objects.create_user(email="helper@example.test", password="x", is_staff=True)
    client.force_login(staff)

    assert client.get(LIST).status_code == 403
    assert client.get(change_url(entries[0])).status_code == 403


def test_the_list_shows_what_is_stuck_and_why_and_filters_by_status_and_kind(superuser_client, entries):
    stuck, sent = entries

    everything = superuser_client.get(LIST).content.decode()
    pending = superuser_client.get(LIST, {"status__exact": "pending"}).content.decode()
    emails = superuser_client.get(LIST, {"kind__exact": "email"}).content.decode()

    assert stuck.key in everything and sent.key in everything
    assert stuck.key in pending and sent.key not in pending
    assert "Connection refused" in pending
    assert stuck.key in emails and sent.key in emails
    assert stuck.key not in superuser_client.get(LIST, {"kind__exact": "pdf_render"}).content.decode()


def test_a_row_can_be_read_but_not_added_changed_or_deleted(superuser_client, entries):
    stuck, _sent = entries

    page = superuser_client.get(change_url(stuck))
    changed = superuser_client.post(change_url(stuck), {"status": "done", "payload": "{}"})

    assert page.status_code == 200
    assert "stuck@example.test" in page.content.decode() and 'name="status"' not in page.content.decode()
    assert changed.status_code == 403
    assert superuser_client.get(reverse("admin:outbox_outboxentry_add")).status_code == 403
    delete = reverse("admin:outbox_outboxentry_delete", args=[stuck.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    stuck.refresh_from_db()
    assert stuck.status == OutboxStatus.PENDING
