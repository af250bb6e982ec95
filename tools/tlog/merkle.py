"""The ledger as a Merkle tree, hashed as RFC 6962 / RFC 9162 section 2.1 hashes it.

Leaf i of the tree is the 32-byte `entry_hash` of ledger entry i + 1 (entries count from 1, leaves
from 0), so the tree commits to the hash chain and through it to every payload.

This module has no Django in it, so that an auditor can read it next to the RFC, and the
standalone verifier and the tests can use it as it is. It holds three things:

1. the reference definitions, written as the RFC writes them: `mth`, `path`, `proof` work on the
   list of all leaves and are only used to check the rest (tests, benchmarks);
2. what the stored tree needs (tree.py keeps every complete subtree's hash as a node (level,
   index)): `nodes_completed_by`, the nodes one append completes, and `subtree_keys`,
   `inclusion_ranges`, `consistency_ranges`, which say which stored nodes make up a root or a
   proof, so that those are O(log n) reads;
3. the verifiers of RFC 9162 sections 2.1.3.2 and 2.1.4.2, which is all a client needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Key = tuple[
    int, int
]  # (level, index): the complete subtree of leaves [index * 2**level, (index + 1) * 2**level)
Range = tuple[int, int]  # (start, size): the leaves [start, start + size)


class ProofError(ValueError):
    """A proof or its arguments are malformed, or the proof does not prove what it claims."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


# 1. Reference definitions (RFC 6962 section 2.1), over the whole list of leaves.


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]), the Merkle Tree Hash."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = _split(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), the audit path (inclusion proof) of leaf m."""
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]), the consistency proof from the first m leaves to all n."""
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


# 2. The same, from stored nodes.


def nodes_completed_by(index: int, leaf: bytes, stored: Callable[[Sequence[Key]], Mapping[Key, bytes]]):
    """The nodes that appending leaf `index` completes: its leaf hash, then each parent it closes.

    A node (level, i) is complete once its last leaf, (i + 1) * 2**level - 1, is in the tree, so
    leaf `index` closes one parent per trailing 1 bit of `index`; each needs its left sibling,
    stored earlier. `stored` fetches those siblings (one read for all of them). Averaged over
    appends, that is two nodes written per leaf.
    """
    levels = 0
    while (index >> levels) & 1:
        levels += 1
    siblings = [(level, (index >> level) - 1) for level in range(levels)]
    known = stored(siblings) if siblings else {}
    current = leaf_hash(leaf)
    nodes = [(0, index, current)]
    for level, sibling in siblings:
        current = node_hash(known[(level, sibling)], current)
        nodes.append((level + 1, sibling >> 1, current))
    return nodes


def subtree_keys(start: int, size: int) -> list[Key]:
    """The complete subtrees whose hashes, folded from the right, give MTH(D[start:start + size]).

    Holds for the ranges RFC 6962's recursion visits: `start` is a multiple of a power of two no
    smaller than `size`, so each power of two in `size`, largest first, is one aligned subtree.
    """
    keys = []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive complete subtrees, largest first (see subtree_keys)."""
    if not hashes:
        return EMPTY_ROOT
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def inclusion_ranges(m: int, n: int) -> list[Range]:
    """PATH(m, D[n]) as the leaf ranges whose MTH each proof element is."""
    if not 0 <= m < n:
        raise ProofError(f"leaf {m} is not in a tree of size {n}")
    ranges: list[Range] = []
    start = 0
    while n > 1:
        k = _split(n)
        if m < k:
            ranges.append((start + k, n - k))
            n = k
        else:
            ranges.append((start, k))
            m, n, start = m - k, n - k, start + k
    return ranges[::-1]


def consistency_ranges(m: int, n: int) -> list[Range]:
    """PROOF(m, D[n]) as leaf ranges. Empty when m is 0 or m == n (nothing to prove)."""
    if not 0 <= m <= n:
        raise ProofError(f"no consistency proof from size {m} to size {n}")
    if m == 0 or m == n:
        return []
    ranges: list[Range] = []
    start, complete = 0, True
    while m != n:
        k = _split(n)
        if m <= k:
            ranges.append((start + k, n - k))
            n = k
        else:
            ranges.append((start, k))
            m, n, start, complete = m - k, n - k, start + k, False
    if not complete:
        ranges.append((start, n))
    return ranges[::-1]


# 3. Verifying (RFC 9162 sections 2.1.3.2 and 2.1.4.2), what a client of the log runs.


def verify_inclusion(*, leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows the leaf (its data, not its hash) at `index` under `root`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in proof:
        _check_hash(p)
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if r != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the tree `new_root` extends the tree `old_root`."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of size {new_size} cannot extend one of size {old_size}")
    for p in proof:
        _check_hash(p)
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for the same size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old tree is itself one node of the new
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root:
        raise ProofError(f"the log at size {old_size} had another root than the one saved")
    if sr != new_root:
        raise ProofError(f"the consistency proof leads to another root at size {new_size}")


def _check_hash(value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError("a proof element is not a 32-byte hash")
