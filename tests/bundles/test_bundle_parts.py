"""The parts of a bundle that are pure computation: which hash tiles a tree of a given size has."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bundles.parts import payload_shown, tile_paths
from tools.tlog import merkle
from tools.tlog.tiles import tile_path
from tools.tlog.witness import TileReader


def _reader(size: int):
    """A TileReader over fake tiles of the right width, recording every tile path it reads."""
    asked = set()

    def get(path: str, limit: int) -> bytes:
        asked.add(path)
        width = int(path.rsplit(".p/", 1)[1]) if ".p/" in path else 256
        return bytes(merkle.HASH_SIZE * width)

    return TileReader(get, size), asked


@given(size=st.integers(min_value=1, max_value=300_000), data=st.data())
def test_the_bundled_tiles_are_every_tile_a_verifier_reads(size, data):
    bundled = {tile_path(level, index, width) for level, index, width in tile_paths(size)}
    reader, asked = _reader(size)
    old = data.draw(st.integers(min_value=0, max_value=size))
    leaf = data.draw(st.integers(min_value=0, max_value=size - 1))

    reader.root()
    reader.consistency_proof(old)
    reader.inclusion_proof(leaf)

    assert asked <= bundled


def test_a_tree_has_full_tiles_then_one_partial_per_level():
    assert tile_paths(0) == []
    assert tile_paths(1) == [(0, 0, 1)]
    assert tile_paths(256) == [(0, 0, 256), (1, 0, 1)]
    assert tile_paths(600) == [(0, 0, 256), (0, 1, 256), (0, 2, 88), (1, 0, 2)]


def _payload(subject_type: str, subject_id: str = "1", **data) -> str:
    return json.dumps({"subject": {"type": subject_type, "id": subject_id}, "data": data})


@pytest.mark.parametrize(
    ("payload", "engagement_id", "shown"),
    [
        (_payload("commitments.evidence", evidence=3), None, True),  # the report's own life
        (_payload("commitments.evidence", evidence=3), 7, True),
        (_payload("audits.finding", engagement=7), 7, True),  # this engagement's work
        (_payload("audits.finding", engagement=8), 7, False),  # another firm's
        (_payload("audits.finding", engagement=7), None, False),  # a report's bundle: no audit work
        (_payload("audits.workpaper", engagement=8), 7, False),
        (_payload("audits.engagement", "7", declaration="I am independent."), 7, True),
        (_payload("audits.engagement", "8", declaration="I am independent."), 7, False),
        (_payload("audits.evidencerequestreply", request=4), 7, False),  # names no engagement
        (_payload("audits.attestation", engagement=8), 7, True),  # public anyway
        (_payload("audits.attestation", engagement=8), None, True),
    ],
)
def test_which_payloads_the_holder_reads(payload, engagement_id, shown):
    assert payload_shown(payload, engagement_id) is shown
