"""The ledger's Merkle tree as stored: complete-subtree hashes in MerkleNode, written per append.

`tree_append` runs inside ledger_append's transaction, under its lock on the head row, so the
nodes and the entry commit together. Roots and proofs for any size are folds of O(log n) stored
nodes, read in one query (merkle.py says which nodes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import reduce
from operator import or_

from django.db.models import Q

from commitments.models import LedgerHead, MerkleNode
from tools.tlog import merkle
from tools.tlog.tiles import TILE_HEIGHT, TILE_WIDTH


class TreeIncomplete(LookupError):
    """A node the tree should have is missing: the tree is behind the ledger, or was tampered with."""


def _nodes(keys: Iterable[merkle.Key]) -> dict[merkle.Key, bytes]:
    keys = set(keys)
    if not keys:
        return {}
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, []).append(index)
    where = reduce(or_, (Q(level=level, index__in=indexes) for level, indexes in by_level.items()))
    found = {
        (level, index): bytes(value)
        for level, index, value in MerkleNode.objects.filter(where).values_list("level", "index", "hash")
    }
    missing = keys - found.keys()
    if missing:
        raise TreeIncomplete(f"the Merkle tree lacks the nodes {sorted(missing)[:5]}")
    return found


def tree_append(*, sequence: int, entry_hash: str) -> None:
    """Store the nodes that the entry `sequence` (leaf sequence - 1) completes."""
    nodes = merkle.nodes_completed_by(sequence - 1, bytes.fromhex(entry_hash), _nodes)
    MerkleNode.objects.bulk_create(
        [MerkleNode(level=level, index=index, hash=value) for level, index, value in nodes]
    )


def tree_append_many(*, first_sequence: int, entry_hashes: Sequence[str]) -> None:
    """Store the nodes that the entries `first_sequence`, `first_sequence + 1`, … complete, as
    tree_append would one after another, in two queries.

    The siblings the new leaves join with are either nodes of the batch itself, computed here leaf
    after leaf (each leaf's nodes are the next ones' siblings), or complete before it: those are
    nodes of the tree's right edge (its frontier, the largest complete subtrees, at most one per
    level), read together. The frontier is read whole, needed or not, so that the batch always
    costs the same queries; a tree that lacks one of its nodes is refused (TreeIncomplete), as
    later appends would be.
    """
    first = first_sequence - 1
    known = _nodes(merkle.subtree_keys(0, first))
    nodes = []
    for index, entry_hash in enumerate(entry_hashes, start=first):
        completed = merkle.nodes_completed_by(
            index, bytes.fromhex(entry_hash), lambda keys: {key: known[key] for key in keys}
        )
        known.update(((level, node), value) for level, node, value in completed)
        nodes += completed
    MerkleNode.objects.bulk_create(
        [MerkleNode(level=level, index=index, hash=value) for level, index, value in nodes]
    )


def tree_size() -> int:
    head = LedgerHead.objects.filter(id=1).first()
    return head.size if head else 0


def _ranges_hashes(ranges: Sequence[merkle.Range]) -> list[bytes]:
    keys = [merkle.subtree_keys(start, size) for start, size in ranges]
    found = _nodes(key for group in keys for key in group)
    return [merkle.fold([found[key] for key in group]) for group in keys]


def tree_root(size: int) -> bytes:
    """The root of the tree of the first `size` entries."""
    return _ranges_hashes([(0, size)])[0]


def tree_inclusion_proof(*, index: int, size: int) -> list[bytes]:
    """Audit path of leaf `index` (entry index + 1) in the tree of `size` leaves."""
    return _ranges_hashes(merkle.inclusion_ranges(index, size))


def tree_inclusion_proofs(*, indexes: Iterable[int], size: int) -> dict[int, list[bytes]]:
    """Audit paths of several leaves in the tree of `size` leaves, by leaf index: one query for
    all of them (a page of a report's ledger entries asks for up to a few hundred)."""
    paths = {index: merkle.inclusion_ranges(index, size) for index in set(indexes)}
    keys = {
        start_size: merkle.subtree_keys(*start_size) for ranges in paths.values() for start_size in ranges
    }
    found = _nodes(key for group in keys.values() for key in group)
    hashes = {start_size: merkle.fold([found[key] for key in group]) for start_size, group in keys.items()}
    return {index: [hashes[start_size] for start_size in ranges] for index, ranges in paths.items()}


def tree_consistency_proof(*, old_size: int, new_size: int) -> list[bytes]:
    return _ranges_hashes(merkle.consistency_ranges(old_size, new_size))


def tree_tile(*, level: int, index: int, width: int) -> bytes:
    """The hash tile at tile level `level` (tree level 8 * level): `width` consecutive node hashes."""
    first = index * TILE_WIDTH
    rows = MerkleNode.objects.filter(
        level=level * TILE_HEIGHT, index__gte=first, index__lt=first + width
    ).order_by("index")
    hashes = [bytes(value) for value in rows.values_list("hash", flat=True)]
    if len(hashes) != width:
        raise TreeIncomplete(f"tile {level}/{index} has {len(hashes)} of {width} hashes")
    return b"".join(hashes)
