"""Two auditors' tools saving the same workpaper at once with the ETag they both read, on
PostgreSQL: the comparison happens with the engagement's row locked, so exactly one save wins and
the other gets 412; nothing of the loser is written, and the winner's text stands."""

import threading
import time

import pytest
from django.db import connection, transaction

from audits.models import Engagement, Workpaper
from commitments.models import LedgerEntry
from commitments.vocabulary import LedgerEvent
from tests.api.audits_helpers import client_for, item_path
from tests.api.world_audits import PAPER
from tests.audits.builders import engagement_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for_lock_waiters(count: int) -> None:
    """Until `count` other sessions wait for a lock (asked from inside a transaction, whose view of
    pg_stat_activity is a snapshot unless cleared)."""
    deadline = time.monotonic() + 30  # a bound for a broken build, not a measure
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} sessions never waited for the engagement's lock")


def test_two_saves_with_the_same_etag_one_wins_and_the_other_gets_412(
    on_postgres, org, period, report, program_admin
):
    first, second = UserFactory(platform_role="auditor"), UserFactory(platform_role="auditor")
    engagement = engagement_for(first, second, organisations=[org], periods=[period], admin=program_admin)
    item = report.items.order_by("node__position").first()
    path = item_path(engagement, item, "workpaper")
    clients = {"first": client_for(first), "second": client_for(second)}
    etag = clients["first"].put(path, PAPER, format="json")["ETag"]
    saves = LedgerEntry.objects.filter(event=LedgerEvent.WORKPAPER_SAVED).count()
    statuses: dict[str, int] = {}

    def save(who: str) -> None:
        try:
            response = clients[who].put(
                path, {**PAPER, "result": f"By {who}."}, format="json", HTTP_IF_MATCH=etag
            )
            statuses[who] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(who,)) for who in clients]
    with transaction.atomic():
        Engagement.objects.select_for_update().get(pk=engagement.pk)  # both wait behind this
        for thread in threads:
            thread.start()
        wait_for_lock_waiters(2)
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses.values()) == [200, 412]
    winner = next(who for who, code in statuses.items() if code == 200)
    assert Workpaper.objects.get(engagement=engagement, item=item).result == f"By {winner}."
    assert LedgerEntry.objects.filter(event=LedgerEvent.WORKPAPER_SAVED).count() == saves + 1
