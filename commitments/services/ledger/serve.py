"""What /log/ serves, by path: the checkpoint, the verifier key, hash tiles, and the entry that
recorded a signed PDF.

The views (commitments/views/log.py) answer HTTP with these bytes, and the platform's own check
of a PDF against the log (reports/pdf/verification.py) reads them through `log_get`, the same
paths and bytes an outside client reads over the network (tools/tlog/pdf_log.py): one check,
whoever runs it.

Everything but `artifact/<sha256>` is hashes. That one answers only for the SHA-256 of a signed
PDF the platform issued, and holds the PDF's `artifact.rendered` ledger entry (its document id,
kind, version, hashes and size, recorded by the system with no person named), which is what
/verify/ already tells whoever holds the file or its hash.
"""

from __future__ import annotations

import json
import logging
import re

from django.core.exceptions import ImproperlyConfigured

from commitments.models import LedgerEntry
from commitments.services.ledger import tree
from commitments.services.ledger.checkpoints import checkpoint_latest, log_verifier_key
from tools.tlog.source import LogUnavailable
from tools.tlog.tiles import MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, tile_index

logger = logging.getLogger(__name__)

_TILE = re.compile(r"(?P<level>[0-9]+)/(?P<index>(?:x[0-9]+/)*[0-9]+)(?:\.p/(?P<width>[0-9]+))?")
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
TILE_PATH_HELP = "Not a tile path: tile/<L>/<N>[.p/<W>], as in c2sp.org/tlog-tiles."


class BadPath(ValueError):
    """The path is malformed (HTTP 400)."""


class NotServed(LookupError):
    """The log holds nothing at this path, or not yet (HTTP 404)."""


class NotReady(LookupError):
    """The log cannot answer yet: no key, or no checkpoint signed (HTTP 503)."""


def log_checkpoint() -> bytes:
    """The latest signed checkpoint. Signing is never done here: every ledger entry asks for one
    through the outbox, and the scheduler signs periodically, so a reader never takes the
    ledger's lock."""
    checkpoint = checkpoint_latest()
    if checkpoint is None:
        raise NotReady("No checkpoint has been signed yet.")
    return checkpoint.note.encode()


def log_key() -> bytes:
    try:
        return f"{log_verifier_key()}\n".encode()
    except ImproperlyConfigured:
        raise NotReady("This server has no log key set up yet.") from None


def log_tile(tile: str) -> bytes:
    """The bytes of tile/<tile>; BadPath or NotServed."""
    if tile.startswith("entries/"):
        raise NotServed("This log serves no entry bundles: the entries are not public, their hashes are.")
    match = _TILE.fullmatch(tile)
    number = tile_index(match["index"]) if match else None
    if match is None or number is None or not _LEVEL.fullmatch(match["level"]):
        raise BadPath(TILE_PATH_HELP)
    level, width = int(match["level"]), match["width"]
    if level > MAX_TILE_LEVEL:
        raise BadPath(TILE_PATH_HELP)
    if width is not None and (not _WIDTH.fullmatch(width) or int(width) >= TILE_WIDTH):
        raise BadPath("A partial tile's width is 1 to 255.")
    hashes = int(width) if width is not None else TILE_WIDTH
    # Nodes at tree level 8 * L that the tree holds: one per 256**L leaves.
    available = tree.tree_size() >> (TILE_HEIGHT * level)
    if number * TILE_WIDTH + hashes > available:
        raise NotServed("The log holds no such tile (yet).")
    try:
        return tree.tree_tile(level=level, index=number, width=hashes)
    except tree.TreeIncomplete:
        logger.exception("The Merkle tree lacks nodes of a tile it should have")
        raise NotServed("The log holds no such tile.") from None


def log_artifact_entry(sha256: str) -> bytes:
    """The ledger entry that recorded the signed PDF with this SHA-256, as JSON: its sequence, the
    previous entry's hash, its payload exactly as stored, and its hash."""
    from reports.models import ReportArtifact

    if not _SHA256.fullmatch(sha256):
        raise BadPath("An artifact is named by its SHA-256: 64 lower-case hex digits.")
    sequence = (
        ReportArtifact.objects.ready()
        .filter(sha256=sha256, ledger_sequence__isnull=False)
        .values_list("ledger_sequence", flat=True)
        .first()
    )
    entry = LedgerEntry.objects.filter(sequence=sequence).first() if sequence else None
    if entry is None:
        raise NotServed("No signed PDF of this platform has this SHA-256.")
    data = {
        "sequence": entry.sequence,
        "prev_hash": entry.prev_hash,
        "payload": entry.payload,
        "entry_hash": entry.entry_hash,
    }
    return json.dumps(data, ensure_ascii=False).encode()


def log_get(path: str, limit: int) -> bytes:
    """The log read by path, as tools/tlog/source.py's sources read it (LogUnavailable if not)."""
    try:
        if path == "checkpoint":
            body = log_checkpoint()
        elif path == "key":
            body = log_key()
        elif path.startswith("tile/"):
            body = log_tile(path.removeprefix("tile/"))
        elif path.startswith("artifact/"):
            body = log_artifact_entry(path.removeprefix("artifact/"))
        else:
            raise NotServed(f"not a path of the log: {path}")
    except (BadPath, NotServed, NotReady) as exc:
        raise LogUnavailable(f"/log/{path}: {exc}") from None
    if len(body) > limit:
        raise LogUnavailable(f"/log/{path} is larger than {limit} bytes")
    return body
