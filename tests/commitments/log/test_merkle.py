"""The Merkle tree's hashing and proofs: the published RFC 6962 vectors, then the stored-node
algorithms against the RFC's own recursive definitions for random sizes (Hypothesis)."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.tlog import merkle

# A copy of ../shared/reference/rfc6962-vectors.json (transparency-dev/merkle's test data).
VECTORS = json.loads(Path(__file__).with_name("rfc6962-vectors.json").read_text())
LEAVES = [bytes.fromhex(leaf) for leaf in VECTORS["leaf_inputs_hex"]]


class MemoryTree:
    """The stored tree's algorithm with a dict for a table: what tree.py does with MerkleNode."""

    def __init__(self, leaves=()):
        self.nodes = {}
        self.size = 0
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf):
        for level, index, value in merkle.nodes_completed_by(
            self.size, leaf, lambda keys: {key: self.nodes[key] for key in keys}
        ):
            self.nodes[(level, index)] = value
        self.size += 1

    def range_hash(self, start, size):
        return merkle.fold([self.nodes[key] for key in merkle.subtree_keys(start, size)])

    def root(self, size):
        return self.range_hash(0, size)

    def inclusion(self, index, size):
        return [self.range_hash(*r) for r in merkle.inclusion_ranges(index, size)]

    def consistency(self, old, new):
        return [self.range_hash(*r) for r in merkle.consistency_ranges(old, new)]


@pytest.mark.parametrize("size", sorted(VECTORS["root_by_tree_size"], key=int))
def test_roots_match_the_published_vectors(size):
    expected = VECTORS["root_by_tree_size"][size]
    assert merkle.mth(LEAVES[: int(size)]).hex() == expected
    assert MemoryTree(LEAVES[: int(size)]).root(int(size)).hex() == expected


@pytest.mark.parametrize(
    "vector", VECTORS["inclusion_proofs"], ids=lambda v: f"{v['leaf_index']}-of-{v['tree_size']}"
)
def test_inclusion_proofs_match_the_published_vectors_and_verify(vector):
    index, size = vector["leaf_index"], vector["tree_size"]
    leaves = LEAVES[:size]
    assert [h.hex() for h in merkle.path(index, leaves)] == vector["proof"]
    assert [h.hex() for h in MemoryTree(leaves).inclusion(index, size)] == vector["proof"]
    merkle.verify_inclusion(
        leaf=leaves[index],
        index=index,
        size=size,
        proof=[bytes.fromhex(h) for h in vector["proof"]],
        root=merkle.mth(leaves),
    )


@pytest.mark.parametrize(
    "vector", VECTORS["consistency_proofs"], ids=lambda v: f"{v['old_size']}-to-{v['new_size']}"
)
def test_consistency_proofs_match_the_published_vectors_and_verify(vector):
    old, new = vector["old_size"], vector["new_size"]
    assert [h.hex() for h in merkle.proof(old, LEAVES[:new])] == vector["proof"] or old == new
    assert [h.hex() for h in MemoryTree(LEAVES[:new]).consistency(old, new)] == vector["proof"]
    merkle.verify_consistency(
        old_size=old,
        new_size=new,
        old_root=merkle.mth(LEAVES[:old]),
        new_root=merkle.mth(LEAVES[:new]),
        proof=[bytes.fromhex(h) for h in vector["proof"]],
    )


def test_the_empty_tree_has_the_hash_of_nothing():
    assert merkle.mth([]).hex() == VECTORS["root_by_tree_size"]["0"]
    assert MemoryTree().root(0) == merkle.EMPTY_ROOT


def leaves_of(size):
    return [i.to_bytes(4, "big") * 8 for i in range(size)]


@given(size=st.integers(1, 600), data=st.data())
def test_stored_roots_and_proofs_equal_the_rfc_definitions(size, data):
    leaves = leaves_of(size)
    stored = MemoryTree(leaves)
    # Every append writes its leaf and one node per parent it completes: 2n - popcount(n) nodes.
    assert len(stored.nodes) == 2 * size - bin(size).count("1")
    tree_size = data.draw(st.integers(1, size), label="tree_size")
    index = data.draw(st.integers(0, tree_size - 1), label="index")
    old = data.draw(st.integers(0, tree_size), label="old")
    root = merkle.mth(leaves[:tree_size])

    assert stored.root(tree_size) == root
    inclusion = stored.inclusion(index, tree_size)
    assert inclusion == merkle.path(index, leaves[:tree_size])
    merkle.verify_inclusion(leaf=leaves[index], index=index, size=tree_size, proof=inclusion, root=root)
    consistency = stored.consistency(old, tree_size)
    if 0 < old < tree_size:
        assert consistency == merkle.proof(old, leaves[:tree_size])
    merkle.verify_consistency(
        old_size=old, new_size=tree_size, old_root=merkle.mth(leaves[:old]), new_root=root, proof=consistency
    )
    # Proofs stay logarithmic: at most one hash per level of the tree.
    assert len(inclusion) <= tree_size.bit_length()
    assert len(consistency) <= 2 * tree_size.bit_length()


@given(size=st.integers(2, 200), data=st.data())
def test_a_tampered_inclusion_proof_never_verifies(size, data):
    # (Not the tree size: a root does not commit to it, so a path can fit several sizes; the
    # size comes from the signed checkpoint, as the root does.)
    leaves = leaves_of(size)
    index = data.draw(st.integers(0, size - 1))
    root = merkle.mth(leaves)
    proof = merkle.path(index, leaves)
    position = data.draw(st.integers(0, len(proof) - 1))
    flipped = bytearray(proof[position])
    flipped[data.draw(st.integers(0, 31))] ^= 1 << data.draw(st.integers(0, 7))
    forged = [*proof[:position], bytes(flipped), *proof[position + 1 :]]
    for kwargs in (
        {"proof": forged},
        {"proof": proof[:-1]},
        {"proof": [*proof, proof[0]]},
        {"proof": proof, "index": (index + 1) % size},
        {"proof": proof, "leaf": leaves[(index + 1) % size]},
    ):
        arguments = {"leaf": leaves[index], "index": index, "size": size, "root": root} | kwargs
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(**arguments)


@given(new=st.integers(2, 200), data=st.data())
def test_a_rewritten_history_fails_the_consistency_proof(new, data):
    """A log that changed any of its first `old` leaves cannot prove it extends the old root."""
    old = data.draw(st.integers(1, new - 1))
    leaves = leaves_of(new)
    old_root = merkle.mth(leaves[:old])
    rewritten = list(leaves)
    rewritten[data.draw(st.integers(0, old - 1))] = b"forged"
    proof = merkle.proof(old, rewritten)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            old_size=old, new_size=new, old_root=old_root, new_root=merkle.mth(rewritten), proof=proof
        )
    honest = merkle.proof(old, leaves)
    for forged in (honest[:-1], [*honest, honest[0]], []):
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(
                old_size=old, new_size=new, old_root=old_root, new_root=merkle.mth(leaves), proof=forged
            )


def test_proof_arguments_out_of_range_are_refused():
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_ranges(6, 5)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf=b"", index=-1, size=3, proof=[], root=merkle.EMPTY_ROOT)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf=b"", index=0, size=2, proof=[b"short"], root=merkle.EMPTY_ROOT)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(old_size=3, new_size=3, old_root=b"a" * 32, new_root=b"b" * 32, proof=[])
