"""The stored tree: every ledger append writes its nodes in the same transaction, and roots and
proofs read from them equal the RFC definitions over the entries' hashes."""

import pytest
from django.apps import apps
from django.db import connection, transaction

from commitments.models import LedgerEntry, LedgerImmutableError, MerkleNode
from commitments.services.ledger import ledger_append, tree
from tools.tlog import merkle

pytestmark = pytest.mark.django_db


def append(count):
    for number in range(count):
        ledger_append(event="test.log", subject=("test.thing", number), actor=None, data={"n": number})


def entry_hashes():
    return [
        bytes.fromhex(h)
        for h in LedgerEntry.objects.order_by("sequence").values_list("entry_hash", flat=True)
    ]


def test_each_append_stores_its_leaf_and_the_nodes_it_completes():
    append(7)
    assert MerkleNode.objects.count() == 2 * 7 - 3
    leaves = entry_hashes()
    assert bytes(MerkleNode.objects.get(level=0, index=6).hash) == merkle.leaf_hash(leaves[6])
    assert bytes(MerkleNode.objects.get(level=2, index=0).hash) == merkle.mth(leaves[:4])


def test_roots_and_proofs_from_stored_nodes_equal_the_rfc_definitions():
    append(21)
    leaves = entry_hashes()
    for size in range(22):
        assert tree.tree_root(size) == merkle.mth(leaves[:size])
    for size, index in ((21, 0), (21, 20), (16, 9), (5, 4)):
        assert tree.tree_inclusion_proof(index=index, size=size) == merkle.path(index, leaves[:size])
    for old, new in ((1, 21), (8, 21), (13, 17), (20, 21)):
        assert tree.tree_consistency_proof(old_size=old, new_size=new) == merkle.proof(old, leaves[:new])


def test_a_proof_reads_its_nodes_in_one_query(django_assert_num_queries):
    append(40)
    with django_assert_num_queries(1):
        tree.tree_inclusion_proof(index=17, size=39)
    with django_assert_num_queries(1):
        tree.tree_consistency_proof(old_size=13, new_size=39)


def test_proofs_of_many_leaves_equal_the_rfc_paths_and_read_their_nodes_in_one_query(
    django_assert_num_queries,
):
    append(40)
    leaves = entry_hashes()
    indexes = [0, 1, 17, 31, 32, 38]

    with django_assert_num_queries(1):
        proofs = tree.tree_inclusion_proofs(indexes=indexes, size=39)

    assert proofs == {index: merkle.path(index, leaves[:39]) for index in indexes}


def test_proofs_of_no_leaves_read_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert tree.tree_inclusion_proofs(indexes=[], size=0) == {}


def test_a_proof_of_a_leaf_outside_the_tree_is_refused():
    append(3)
    with pytest.raises(merkle.ProofError):
        tree.tree_inclusion_proofs(indexes=[0, 3], size=3)


def test_an_append_rolled_back_leaves_no_nodes():
    append(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        append(1)
        raise RuntimeError("the caller's change failed")
    assert MerkleNode.objects.count() == 2 * 3 - 2
    append(1)
    assert tree.tree_root(4) == merkle.mth(entry_hashes())


def test_nodes_cannot_be_changed_through_the_orm():
    append(2)
    node = MerkleNode.objects.first()
    with pytest.raises(LedgerImmutableError):
        MerkleNode.objects.update(hash=bytes(32))
    with pytest.raises(LedgerImmutableError):
        node.save()
    with pytest.raises(LedgerImmutableError):
        MerkleNode.objects.all().delete()


def test_a_missing_node_is_reported_not_guessed():
    with pytest.raises(tree.TreeIncomplete):
        tree.tree_root(3)


def test_the_migration_builds_the_tree_of_a_ledger_that_had_none():
    backfill = __import__(
        "commitments.migrations.0008_merkle_backfill_and_append_only", fromlist=["backfill"]
    ).backfill
    append(13)
    before = {(n.level, n.index): bytes(n.hash) for n in MerkleNode.objects.all()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the append-only trigger, off for this transaction only
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM commitments_merklenode")
    backfill(apps, None)
    assert {(n.level, n.index): bytes(n.hash) for n in MerkleNode.objects.all()} == before
    assert tree.tree_root(13) == merkle.mth(entry_hashes())


def test_on_postgresql_the_database_refuses_to_change_nodes(on_postgres):
    append(2)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE commitments_merklenode SET hash = %s", [bytes(32)])
