import hashlib
import json

import pytest

from commitments.models import LedgerEntry, LedgerHead, LedgerImmutableError
from commitments.services.ledger import GENESIS_HASH, ledger_append
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_entries_chain_each_hash_to_the_previous_one():
    actor = UserFactory()
    org = OrganisationFactory()
    first = ledger_append(event="test.one", subject=org, actor=actor, data={"b": 1, "a": "ü"})
    second = ledger_append(event="test.two", subject=org, actor=None, data={})

    assert first.sequence == 1 and second.sequence == 2
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    expected = hashlib.sha256(bytes.fromhex(first.entry_hash) + second.payload.encode()).hexdigest()
    assert second.entry_hash == expected
    head = LedgerHead.objects.get()
    assert (head.size, head.head_hash) == (2, second.entry_hash)


def test_payload_is_canonical_json_with_sorted_keys_and_raw_utf8():
    entry = ledger_append(
        event="test.one", subject=OrganisationFactory(), actor=None, data={"b": 1, "a": "ü"}
    )
    assert '"data":{"a":"ü","b":1}' in entry.payload
    assert json.loads(entry.payload)["event"] == "test.one"
    assert " " not in entry.payload.replace("Fictional Lab", "")


def test_entries_cannot_be_updated_or_deleted_through_the_orm():
    entry = ledger_append(event="test.one", subject=OrganisationFactory(), actor=None, data={})
    entry.event = "forged"
    with pytest.raises(LedgerImmutableError):
        entry.save()
    with pytest.raises(LedgerImmutableError):
        entry.delete()
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).update(event="forged")
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get().event == "test.one"
