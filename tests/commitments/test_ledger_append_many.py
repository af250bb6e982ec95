"""ledger_append_many: many entries in one go, exactly as that many ledger_append calls would write
them (payloads, chain, Merkle nodes, head), at a number of queries that does not grow with them."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from commitments.models import LedgerEntry, LedgerHead, MerkleNode
from commitments.services.ledger import (
    GENESIS_HASH,
    LedgerRecord,
    ledger_append,
    ledger_append_many,
    ledger_verify,
    ledger_verify_fast,
)
from commitments.services.ledger.checkpoints import checkpoint_sign
from commitments.services.ledger.tree import tree_inclusion_proof, tree_root
from outbox.models import OutboxEntry, OutboxKind
from tests.factories import OrganisationFactory, UserFactory
from tools.tlog import merkle

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 4, 9, 30, tzinfo=datetime.UTC)


def prefix(count: int) -> None:
    """`count` entries already in the ledger before the batch."""
    for number in range(count):
        ledger_append(event="test.before", subject=("test.thing", number), actor=None, data={"n": number})


def sequentially(records) -> None:
    for one in records:
        ledger_append(
            event=one.event, subject=one.subject, actor=one.actor, data=one.data, report_id=one.report_id
        )


def in_one_batch(records) -> None:
    ledger_append_many(records=records)


def ledger_state():
    entries = list(
        LedgerEntry.objects.order_by("sequence").values_list("sequence", "payload", "prev_hash", "entry_hash")
    )
    nodes = {(n.level, n.index): bytes(n.hash) for n in MerkleNode.objects.all()}
    head = LedgerHead.objects.values_list("size", "head_hash").first()
    return entries, nodes, head


def written_by(run, records):
    """The ledger after `run(records)`, at one frozen instant; the writes are then rolled back."""
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        run(records)
        state = ledger_state()
        transaction.set_rollback(True)
    return state


def some_records(count, *, actor=None, subject=None):
    subject = subject if subject is not None else OrganisationFactory()
    return [
        LedgerRecord(
            event="item.updated",
            subject=subject if number % 2 else ("commitments.itemresponse", 100 + number),
            actor=actor,
            data={"node": f"m{number}", "narrative": "Déjà vu \x00 ✓", "n": number},
            report_id=7 if number % 3 else None,
        )
        for number in range(count)
    ]


def test_a_batch_writes_what_one_append_per_record_would_write():
    prefix(5)
    records = some_records(13, actor=UserFactory())

    one_by_one = written_by(sequentially, records)
    batched = written_by(in_one_batch, records)

    assert batched == one_by_one
    entries, nodes, head = batched
    assert [sequence for sequence, *_ in entries] == list(range(1, 19))
    assert head == (18, entries[-1][3])
    assert "\ufffd" in entries[6][1] and "\x00" not in entries[6][1]


def test_the_first_batch_of_an_empty_ledger_starts_the_chain_at_genesis():
    entries = ledger_append_many(records=some_records(3))

    assert [entry.sequence for entry in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].entry_hash
    assert ledger_verify().ok


def test_the_returned_entries_carry_the_columns_the_database_generates():
    entries = ledger_append_many(records=some_records(2))

    assert all(entry.pk for entry in entries)
    assert [entry.event for entry in entries] == ["item.updated", "item.updated"]
    assert [entry.report_id for entry in entries] == [None, 7]
    assert list(LedgerEntry.objects.filter(event="item.updated").values_list("report_id", flat=True)) == [
        None,
        7,
    ]


def test_a_batch_asks_for_one_signed_checkpoint():
    before = OutboxEntry.objects.filter(kind=OutboxKind.CHECKPOINT_SIGN).count()

    ledger_append_many(records=some_records(9))

    assert OutboxEntry.objects.filter(kind=OutboxKind.CHECKPOINT_SIGN).count() == before + 1


def test_nothing_to_append_writes_nothing():
    assert ledger_append_many(records=[]) == []

    assert not LedgerHead.objects.exists()
    assert not OutboxEntry.objects.filter(kind=OutboxKind.CHECKPOINT_SIGN).exists()


def test_a_batch_rolled_back_with_its_caller_leaves_no_entry_and_no_node():
    prefix(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger_append_many(records=some_records(6))
        raise RuntimeError("the caller's change failed")

    assert LedgerEntry.objects.count() == 3
    assert MerkleNode.objects.count() == 2 * 3 - 2
    assert LedgerHead.objects.get().size == 3
    assert ledger_verify().ok


@pytest.mark.parametrize("before", [1, 4, 11, 16])  # batches needing older nodes at no, one or several levels
def test_the_number_of_queries_does_not_grow_with_the_batch_wherever_it_starts(
    before, django_assert_num_queries
):
    prefix(before)
    subject = OrganisationFactory()
    # savepoint, head lock, entries, the tree's frontier, new nodes, head, checkpoint request, release
    with django_assert_num_queries(8):
        ledger_append_many(records=some_records(3, subject=subject))
    with django_assert_num_queries(8):
        ledger_append_many(records=some_records(40, subject=subject))
    assert ledger_verify().ok


def test_proofs_from_a_batched_tree_verify_against_its_root():
    prefix(6)
    ledger_append_many(records=some_records(27))
    leaves = [
        bytes.fromhex(h)
        for h in LedgerEntry.objects.order_by("sequence").values_list("entry_hash", flat=True)
    ]
    root = tree_root(33)

    assert root == merkle.mth(leaves)
    for index in (0, 5, 6, 20, 32):
        merkle.verify_inclusion(
            leaf=leaves[index],
            index=index,
            size=33,
            proof=tree_inclusion_proof(index=index, size=33),
            root=root,
        )


RECORD = st.builds(
    LedgerRecord,
    event=st.sampled_from(["item.updated", "report.submitted", "test.other"]),
    subject=st.tuples(st.just("test.thing"), st.integers(0, 10**6)),
    actor=st.none(),
    data=st.dictionaries(
        st.text(max_size=8), st.one_of(st.text(max_size=30), st.integers(), st.none()), max_size=3
    ),
    report_id=st.one_of(st.none(), st.integers(1, 10**6)),
)


@hypothesis_settings(max_examples=25)
@given(before=st.integers(0, 40), records=st.lists(RECORD, min_size=1, max_size=40))
def test_any_batch_at_any_position_equals_the_sequential_appends_and_verifies(before, records):
    with transaction.atomic():
        prefix(before)
        one_by_one = written_by(sequentially, records)
        with time_machine.travel(NOW, tick=False):
            in_one_batch(records)
        assert ledger_state() == one_by_one

        size = before + len(records)
        leaves = [bytes.fromhex(entry_hash) for *_, entry_hash in one_by_one[0]]
        for tree_size in {before, before + 1, size // 2, size}:
            assert tree_root(tree_size) == merkle.mth(leaves[:tree_size])
        assert ledger_verify().ok
        assert ledger_verify_fast().ok
        checkpoint_sign()
        call_command("verify_ledger", stdout=io.StringIO())  # raises CommandError on any failure
        transaction.set_rollback(True)
