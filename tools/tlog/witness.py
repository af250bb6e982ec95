"""A witness of a tiled transparency log (c2sp.org/tlog-tiles, tlog-checkpoint, signed-note).

It needs nothing of the platform but its log's address and verifier key: it fetches the
checkpoint, checks the signature, and proves from hash tiles alone that the log's new tree
extends the checkpoint it saved last; only then does it save the new one. A log that rewrote or
dropped anything it had shown the witness cannot pass this. No Django here: the standalone
verifier can use it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools.tlog import merkle, note
from tools.tlog.source import Fetch, Get, LogUnavailable, http_fetch, log_source, write_atomic
from tools.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, tile_path

MAX_TILE_BYTES = TILE_WIDTH * merkle.HASH_SIZE
CHECKPOINT_FILE = "checkpoint"
KEY_FILE = "key"


class WitnessError(Exception):
    """The log could not be checked (unreachable, malformed) or is inconsistent (`inconsistent`)."""

    def __init__(self, message: str, *, inconsistent: bool = False) -> None:
        super().__init__(message)
        self.inconsistent = inconsistent


class TileReader:
    """Complete-subtree hashes of the tree of `size` leaves, computed from its hash tiles."""

    def __init__(self, get: Get, size: int) -> None:
        self.get, self.size = get, size
        self.tiles: dict[tuple[int, int], list[bytes]] = {}

    def _tile(self, level: int, index: int) -> list[bytes]:
        if (level, index) not in self.tiles:
            available = self.size >> (TILE_HEIGHT * level)
            width = min(TILE_WIDTH, available - index * TILE_WIDTH)
            if width <= 0:
                raise WitnessError(f"the tree of size {self.size} has no tile {level}/{index}")
            body = _read(self.get, tile_path(level, index, width), MAX_TILE_BYTES)
            if len(body) != width * merkle.HASH_SIZE:
                raise WitnessError(f"tile {level}/{index} is {len(body)} bytes, not {width} hashes")
            self.tiles[(level, index)] = [body[i : i + 32] for i in range(0, len(body), 32)]
        return self.tiles[(level, index)]

    def node(self, level: int, index: int) -> bytes:
        """The hash of leaves [index * 2**level, (index + 1) * 2**level), a complete subtree."""
        tile_level, height = divmod(level, TILE_HEIGHT)
        first = index << height  # its hashes at the tile level below it
        hashes = []
        for position in range(first, first + (1 << height)):
            hashes.append(self._tile(tile_level, position // TILE_WIDTH)[position % TILE_WIDTH])
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def range_hash(self, start: int, size: int) -> bytes:
        return merkle.fold([self.node(level, index) for level, index in merkle.subtree_keys(start, size)])

    def root(self) -> bytes:
        return self.range_hash(0, self.size)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        return [self.range_hash(*r) for r in merkle.consistency_ranges(old_size, self.size)]

    def inclusion_proof(self, index: int) -> list[bytes]:
        return [self.range_hash(*r) for r in merkle.inclusion_ranges(index, self.size)]


def _read(get: Get, path: str, limit: int) -> bytes:
    try:
        return get(path, limit)
    except LogUnavailable as exc:
        raise WitnessError(str(exc)) from None


def open_checkpoint(get: Get, key: note.VerifierKey) -> tuple[bytes, note.CheckpointBody, TileReader]:
    """The log's current checkpoint, verified with `key`, and a reader of the tiles it commits to,
    which give its root (else WitnessError: a log whose tiles and checkpoint disagree is broken)."""
    raw = _read(get, CHECKPOINT_FILE, note.MAX_NOTE_BYTES)
    try:
        current = note.checkpoint_open(raw, key)
    except note.NoteError as exc:
        raise WitnessError(f"the log's checkpoint does not verify: {exc}", inconsistent=True) from None
    tiles = TileReader(get, current.size)
    if tiles.root() != current.root:
        raise WitnessError(
            f"the log's tiles give another root than its checkpoint at size {current.size}", inconsistent=True
        )
    return raw, current, tiles


def prove_extends(
    tiles: TileReader, current: note.CheckpointBody, older: note.CheckpointBody, what: str
) -> None:
    """WitnessError (inconsistent) unless the tree `current` extends `older` (`what` names it)."""
    if current.size < older.size:
        raise WitnessError(
            f"the log shrank: its checkpoint says {current.size} entries, {what} {older.size}",
            inconsistent=True,
        )
    try:
        merkle.verify_consistency(
            old_size=older.size,
            new_size=current.size,
            old_root=older.root,
            new_root=current.root,
            proof=tiles.consistency_proof(older.size),
        )
    except merkle.ProofError as exc:
        raise WitnessError(
            f"the log at size {current.size} does not extend {what} {older.size}: {exc}",
            inconsistent=True,
        ) from None


@dataclass(frozen=True)
class WitnessResult:
    previous: note.CheckpointBody | None
    current: note.CheckpointBody


def witness_check(
    location: str | Path, state: Path, *, key: str | None = None, fetch: Fetch = http_fetch
) -> WitnessResult:
    """Fetch, verify and save the log's checkpoint; WitnessError on anything wrong.

    `location` is the log's address (or a folder holding a copy of it). The verifier key is
    `key`, or the one saved in `state` from the first run (which saves the key it was given, or
    else the one the log publishes at <location>/key: trust on first use).
    """
    try:
        get = log_source(location, fetch)
    except LogUnavailable as exc:
        raise WitnessError(str(exc)) from None
    state.mkdir(parents=True, exist_ok=True)
    key_file = state / KEY_FILE
    saved_key = key_file.read_text().strip() if key_file.exists() else None
    if key and saved_key and key.strip() != saved_key:
        raise WitnessError(f"the key given is not the one saved in {key_file}")
    key_text = key or saved_key or _read(get, KEY_FILE, 1024).decode("ascii", "replace")
    try:
        verifier = note.VerifierKey.parse(key_text)
    except note.NoteError as exc:
        raise WitnessError(f"bad verifier key: {exc}") from None
    previous = None
    checkpoint_file = state / CHECKPOINT_FILE
    if checkpoint_file.exists():
        try:
            previous = note.checkpoint_open(checkpoint_file.read_bytes(), verifier)
        except note.NoteError as exc:
            raise WitnessError(f"the saved checkpoint {checkpoint_file} does not verify: {exc}") from None
    raw, current, tiles = open_checkpoint(get, verifier)
    if previous is not None:
        prove_extends(tiles, current, previous, "the checkpoint saved at size")
    write_atomic(checkpoint_file, raw)
    if saved_key is None:
        write_atomic(key_file, (str(verifier) + "\n").encode())
    return WitnessResult(previous, current)
