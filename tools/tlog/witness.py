"""A witness of a tiled transparency log (c2sp.org/tlog-tiles, tlog-checkpoint, signed-note).

It needs nothing of the platform but its log's address and verifier key: it fetches the
checkpoint, checks the signature, and proves from hash tiles alone that the log's new tree
extends the checkpoint it saved last; only then does it save the new one. A log that rewrote or
dropped anything it had shown the witness cannot pass this. No Django here: the standalone
verifier can use it as it is.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools.tlog import merkle, note
from tools.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, tile_path

MAX_TILE_BYTES = TILE_WIDTH * merkle.HASH_SIZE
CHECKPOINT_FILE = "checkpoint"
KEY_FILE = "key"

Fetch = Callable[[str, int], bytes]


class WitnessError(Exception):
    """The log could not be checked (unreachable, malformed) or is inconsistent (`inconsistent`)."""

    def __init__(self, message: str, *, inconsistent: bool = False) -> None:
        super().__init__(message)
        self.inconsistent = inconsistent


def http_fetch(url: str, limit: int, timeout: float = 10.0) -> bytes:
    """GET `url`; refuse anything but a 200 of at most `limit` bytes."""
    if not url.startswith(("https://", "http://")):
        raise WitnessError(f"not an http(s) address: {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            body = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise WitnessError(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WitnessError(f"could not fetch {url}: {exc}") from None
    if len(body) > limit:
        raise WitnessError(f"{url} sent more than {limit} bytes")
    return body


class TileReader:
    """Complete-subtree hashes of the tree of `size` leaves, computed from its hash tiles."""

    def __init__(self, prefix: str, size: int, fetch: Fetch) -> None:
        self.prefix, self.size, self.fetch = prefix.rstrip("/"), size, fetch
        self.tiles: dict[tuple[int, int], list[bytes]] = {}

    def _tile(self, level: int, index: int) -> list[bytes]:
        if (level, index) not in self.tiles:
            available = self.size >> (TILE_HEIGHT * level)
            width = min(TILE_WIDTH, available - index * TILE_WIDTH)
            if width <= 0:
                raise WitnessError(f"the tree of size {self.size} has no tile {level}/{index}")
            body = self.fetch(f"{self.prefix}/{tile_path(level, index, width)}", MAX_TILE_BYTES)
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


@dataclass(frozen=True)
class WitnessResult:
    previous: note.CheckpointBody | None
    current: note.CheckpointBody


def witness_check(
    prefix: str, state: Path, *, key: str | None = None, fetch: Fetch = http_fetch
) -> WitnessResult:
    """Fetch, verify and save the log's checkpoint; WitnessError on anything wrong.

    The verifier key is `key`, or the one saved in `state` from the first run (which saves the
    key it was given, or else the one the log publishes at <prefix>/key: trust on first use).
    """
    prefix = prefix.rstrip("/")
    state.mkdir(parents=True, exist_ok=True)
    key_file = state / KEY_FILE
    saved_key = key_file.read_text().strip() if key_file.exists() else None
    if key and saved_key and key.strip() != saved_key:
        raise WitnessError(f"the key given is not the one saved in {key_file}")
    key_text = key or saved_key or fetch(f"{prefix}/key", 1024).decode("ascii", "replace")
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
    raw = fetch(f"{prefix}/checkpoint", note.MAX_NOTE_BYTES)
    try:
        current = note.checkpoint_open(raw, verifier)
    except note.NoteError as exc:
        raise WitnessError(f"the log's checkpoint does not verify: {exc}", inconsistent=True) from None
    tiles = TileReader(prefix, current.size, fetch)
    if tiles.root() != current.root:
        raise WitnessError(
            f"the log's tiles give another root than its checkpoint at size {current.size}", inconsistent=True
        )
    if previous is not None:
        if current.size < previous.size:
            raise WitnessError(
                f"the log shrank: its checkpoint says {current.size} entries, the saved {previous.size}",
                inconsistent=True,
            )
        try:
            merkle.verify_consistency(
                old_size=previous.size,
                new_size=current.size,
                old_root=previous.root,
                new_root=current.root,
                proof=tiles.consistency_proof(previous.size),
            )
        except merkle.ProofError as exc:
            raise WitnessError(
                f"the log at size {current.size} does not extend the checkpoint saved at size "
                f"{previous.size}: {exc}",
                inconsistent=True,
            ) from None
    _write(checkpoint_file, raw)
    if saved_key is None:
        _write(key_file, (str(verifier) + "\n").encode())
    return WitnessResult(previous, current)


def _write(path: Path, data: bytes) -> None:
    """Replace `path` atomically: a crash leaves the old checkpoint or the new one, never half."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
