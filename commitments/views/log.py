"""The public transparency log under /log/ (issue 13): C2SP tlog-tiles, plus JSON proofs.

Everything here is hashes: leaf i is SHA-256(0x00 || entry_hash of entry i + 1), and entry hashes
reveal nothing of the entries, so the log is public, needs no access check, and is served to any
origin. Entries themselves are not (no entry bundles, tile/entries/...).

Every parameter is parsed strictly; anything malformed is a 400, anything the tree does not
(yet) hold a 404, with a one-line plain-text or JSON reason, never a 500.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from commitments.models import Checkpoint, LedgerEntry
from commitments.services.ledger import serve, tree
from commitments.services.ledger.checkpoints import (
    checkpoint_latest,
    log_origin,
)
from tools.tlog import merkle
from tools.tlog.note import MAX_TREE_SIZE

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=10"
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")


def _text(
    body: str | bytes,
    *,
    status: int = 200,
    cache: str = SHORT,
    content_type: str = "text/plain; charset=utf-8",
):
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Cache-Control"] = cache if status == 200 else SHORT
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json(data: dict, *, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = SHORT
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _current_checkpoint() -> Checkpoint | None:
    return checkpoint_latest()  # never signs here: see serve.log_checkpoint


def _served(read, *, cache: str = SHORT, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    """The bytes serve.py reads, or its reason as a 400, 404 or 503."""
    try:
        body = read()
    except serve.BadPath as exc:
        return _text(f"{exc}\n", status=400)
    except serve.NotServed as exc:
        return _text(f"{exc}\n", status=404)
    except serve.NotReady as exc:
        return _text(f"{exc}\n", status=503)
    return _text(body, cache=cache, content_type=content_type)


@require_safe
def checkpoint_view(request: HttpRequest) -> HttpResponse:
    return _served(serve.log_checkpoint)


@require_safe
def key_view(request: HttpRequest) -> HttpResponse:
    return _served(serve.log_key, cache="public, max-age=3600")


@require_safe
def tile_view(request: HttpRequest, tile: str) -> HttpResponse:
    return _served(lambda: serve.log_tile(tile), cache=IMMUTABLE, content_type="application/octet-stream")


@require_safe
def artifact_entry_view(request: HttpRequest, sha256: str) -> HttpResponse:
    """The ledger entry that recorded the signed PDF with this SHA-256 (see serve.log_artifact_entry)."""
    return _served(lambda: serve.log_artifact_entry(sha256), content_type="application/json")


def _number(request: HttpRequest, name: str, default: int | None = None) -> int:
    raw = request.GET.get(name)
    if raw is None and default is not None:
        return default
    if raw is None or not _NUMBER.fullmatch(raw) or int(raw) > MAX_TREE_SIZE:
        raise _BadParameter(f"'{name}' must be a whole number from 0 (no sign, no leading zeros)")
    return int(raw)


class _BadParameter(ValueError):
    pass


def _proof_response(build) -> JsonResponse:
    checkpoint = _current_checkpoint()
    try:
        return _json(build(checkpoint))
    except _BadParameter as exc:
        return _json({"error": str(exc)}, status=400)
    except LookupError as exc:
        return _json({"error": str(exc)}, status=404)


def _checkpoint_fields(checkpoint: Checkpoint | None, size: int) -> dict:
    if checkpoint is not None and checkpoint.size == size:
        return {"checkpoint": checkpoint.note}
    return {"checkpoint": None}


@require_safe
def inclusion_proof_view(request: HttpRequest, sequence: str) -> JsonResponse:
    """The audit path of entry `sequence` (leaf sequence - 1) in the tree of `size` entries.

    `size` defaults to the latest signed checkpoint's, whose note the answer then includes.
    """

    def build(checkpoint: Checkpoint | None) -> dict:
        if not _NUMBER.fullmatch(sequence) or int(sequence) > MAX_TREE_SIZE or int(sequence) == 0:
            raise _BadParameter("the entry's sequence number is a whole number from 1")
        number = int(sequence)
        size = _number(request, "size", checkpoint.size if checkpoint else 0)
        if size > tree.tree_size():
            raise LookupError(f"the log has fewer than {size} entries")
        if number > size:
            raise LookupError(f"entry {number} is not in the tree of size {size}")
        entry_hash = LedgerEntry.objects.filter(sequence=number).values_list("entry_hash", flat=True).first()
        if entry_hash is None:
            raise LookupError(f"no entry {number}")
        path = tree.tree_inclusion_proof(index=number - 1, size=size)
        return {
            "origin": log_origin(),
            "sequence": number,
            "leaf_index": number - 1,
            "tree_size": size,
            "entry_hash": entry_hash,
            "leaf_hash": merkle.leaf_hash(bytes.fromhex(entry_hash)).hex(),
            "root": tree.tree_root(size).hex(),
            "proof": [node.hex() for node in path],
            **_checkpoint_fields(checkpoint, size),
        }

    return _proof_response(build)


@require_safe
def consistency_proof_view(request: HttpRequest) -> JsonResponse:
    """The proof that the tree of `new` entries extends the tree of `old` entries.

    `new` defaults to the latest signed checkpoint's size, whose note the answer then includes.
    """

    def build(checkpoint: Checkpoint | None) -> dict:
        old = _number(request, "old")
        new = _number(request, "new", checkpoint.size if checkpoint else 0)
        if old > new:
            raise _BadParameter("'old' must not be larger than 'new'")
        if new > tree.tree_size():
            raise LookupError(f"the log has fewer than {new} entries")
        path = tree.tree_consistency_proof(old_size=old, new_size=new)
        return {
            "origin": log_origin(),
            "old_size": old,
            "new_size": new,
            "old_root": tree.tree_root(old).hex(),
            "new_root": tree.tree_root(new).hex(),
            "proof": [node.hex() for node in path],
            **_checkpoint_fields(checkpoint, new),
        }

    return _proof_response(build)
