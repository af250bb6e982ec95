"""A signed PDF against the transparency log: was the history it reports left as it was?

A Pledgeproof PDF's manifest (its signature vouches for it) records the checkpoint the log's key
signed when the document was issued: the tree of the first `size` ledger entries, and the hash
of entry `size`. Later, the platform records the PDF's own issue as an `artifact.rendered` entry.
Given the log (its address, or a folder holding a copy) this checks, in order:

1. `log_issued`: the manifest's checkpoint is signed by the log's key and ends with the entry
   hash the manifest names;
2. `log_current`: the log's current checkpoint is signed by the same key, and its hash tiles
   give its root;
3. `log_consistent`: the current tree extends the manifest's (RFC 9162 consistency proof, from
   the tiles): nothing the PDF was issued under was rewritten or removed;
4. `log_saved` (when the caller brings a checkpoint saved earlier, e.g. by a witness): the
   current tree extends that one too;
5. `log_entry`: the log serves this PDF's `artifact.rendered` entry, whose hash is right, which
   names this file's SHA-256 and document, comes after the manifest's checkpoint, and is
   included in the current tree (RFC 9162 inclusion proof, from the tiles).

The key is the one the manifest names, or one the caller pins (they must agree). Every failure
is a check with a reason; nothing here raises for a bad log or a bad document. No Django.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tools.tlog import merkle, note
from tools.tlog.entry import chain_hash
from tools.tlog.source import Get
from tools.tlog.witness import TileReader, WitnessError, open_checkpoint, prove_extends

ARTIFACT_EVENT = "artifact.rendered"
MAX_ENTRY_BYTES = 64 * 1024

TITLES = {
    "log_issued": "Issued under a checkpoint signed by the log's key",
    "log_current": "The log's current checkpoint is signed and matches its tiles",
    "log_consistent": "The log still holds the history this PDF was issued under",
    "log_saved": "The log extends the checkpoint you saved",
    "log_entry": "The log records the issue of this very file",
}


@dataclass(frozen=True)
class LogCheck:
    key: str
    title: str
    ok: bool
    detail: str = ""


def _check(key: str, ok: bool, detail: str = "") -> LogCheck:
    return LogCheck(key=key, title=TITLES[key], ok=ok, detail=detail)


class _Failed(Exception):
    def __init__(self, key: str, detail: str) -> None:
        super().__init__(detail)
        self.key, self.detail = key, detail


def manifest_log(manifest: dict[str, Any]) -> tuple[str, str] | None:
    """(log url, verifier key) as the manifest names them; None when it names no log."""
    log = (manifest.get("ledger") or {}).get("log") if isinstance(manifest.get("ledger"), dict) else None
    if (
        not isinstance(log, dict)
        or not isinstance(log.get("url"), str)
        or not isinstance(log.get("key"), str)
    ):
        return None
    return log["url"], log["key"]


def pdf_log_checks(
    manifest: dict[str, Any],
    pdf_sha256: str,
    get: Get,
    *,
    key: str | None = None,
    saved_checkpoint: bytes | None = None,
) -> list[LogCheck]:
    """The checks above, in order; they stop at the first that fails (later ones need it)."""
    checks: list[LogCheck] = []
    try:
        _run(checks, manifest, pdf_sha256, get, key, saved_checkpoint)
    except _Failed as failed:
        checks.append(_check(failed.key, False, failed.detail))
    return checks


def _run(checks, manifest, pdf_sha256, get, key, saved_checkpoint) -> None:
    ledger = manifest.get("ledger") if isinstance(manifest.get("ledger"), dict) else {}
    named = manifest_log(manifest)
    if named is None or not isinstance(ledger.get("checkpoint"), str):
        raise _Failed(
            "log_issued",
            "the manifest records no signed checkpoint of the log (a document issued before the log "
            "existed can only be checked by its signature)",
        )
    if key is not None and key.strip() != named[1]:
        raise _Failed("log_issued", f"the manifest names the log key {named[1]}, not the one you gave")
    try:
        verifier = note.VerifierKey.parse(key or named[1])
        issued = note.checkpoint_open(ledger["checkpoint"], verifier)
    except note.NoteError as exc:
        raise _Failed("log_issued", f"the manifest's checkpoint does not verify: {exc}") from None
    head_hash = ledger.get("head_hash")
    if issued.size != ledger.get("size") or not isinstance(head_hash, str):
        raise _Failed(
            "log_issued",
            f"the checkpoint covers {issued.size} entries, the manifest says {ledger.get('size')}",
        )
    checks.append(
        _check("log_issued", True, f"{issued.origin} at {issued.size} entries, root {issued.root.hex()}")
    )

    try:
        _raw, current, tiles = open_checkpoint(get, verifier)
    except WitnessError as exc:
        raise _Failed("log_current", str(exc)) from None
    checks.append(_check("log_current", True, f"{current.size} entries, root {current.root.hex()}"))

    try:
        prove_extends(tiles, current, issued, "the checkpoint this PDF was issued under, at size")
        if issued.size:
            _prove_included(tiles, current, issued.size, head_hash)
    except (WitnessError, _NotIncluded) as exc:
        raise _Failed(
            "log_consistent",
            f"{exc}: the history this document reports was rewritten or cut since it was issued",
        ) from None
    checks.append(
        _check(
            "log_consistent",
            True,
            f"size {issued.size} → {current.size}, and entry {issued.size} is the one named",
        )
    )

    if saved_checkpoint is not None:
        try:
            saved = note.checkpoint_open(saved_checkpoint, verifier)
        except note.NoteError as exc:
            raise _Failed(
                "log_saved", f"the saved checkpoint does not verify with the log's key: {exc}"
            ) from None
        try:
            prove_extends(tiles, current, saved, "the checkpoint you saved at size")
        except WitnessError as exc:
            raise _Failed("log_saved", str(exc)) from None
        checks.append(_check("log_saved", True, f"size {saved.size} → {current.size}"))

    checks.append(_artifact_check(get, tiles, current, issued, manifest, pdf_sha256))


class _NotIncluded(Exception):
    pass


def _prove_included(tiles: TileReader, current: note.CheckpointBody, sequence: int, entry_hash: str) -> None:
    """_NotIncluded unless entry `sequence` (leaf sequence - 1) hashed `entry_hash` is in the tree."""
    try:
        leaf = bytes.fromhex(entry_hash)
        if len(leaf) != merkle.HASH_SIZE:
            raise ValueError
    except ValueError:
        raise _NotIncluded(f"entry {sequence}'s hash is not 64 hex digits") from None
    try:
        merkle.verify_inclusion(
            leaf=leaf,
            index=sequence - 1,
            size=current.size,
            proof=tiles.inclusion_proof(sequence - 1),
            root=current.root,
        )
    except merkle.ProofError as exc:
        raise _NotIncluded(
            f"entry {sequence} of the log is not the one with hash {entry_hash} ({exc})"
        ) from None


def _artifact_check(get, tiles, current, issued, manifest, pdf_sha256) -> LogCheck:
    try:
        raw = get(f"artifact/{pdf_sha256}", MAX_ENTRY_BYTES)
    except Exception as exc:  # noqa: BLE001 - any source error is this check failing
        return _check("log_entry", False, f"the log does not serve this file's entry: {exc}")
    try:
        entry = json.loads(raw)
        sequence, prev_hash, payload, entry_hash = (
            entry["sequence"],
            entry["prev_hash"],
            entry["payload"],
            entry["entry_hash"],
        )
        if not (isinstance(sequence, int) and isinstance(payload, str) and isinstance(prev_hash, str)):
            raise TypeError
        recorded = json.loads(payload)
        data = recorded["data"]
        if chain_hash(prev_hash, payload) != entry_hash:
            return _check(
                "log_entry", False, f"entry {sequence} does not hash to the entry hash served with it"
            )
    except (ValueError, TypeError, KeyError, AttributeError):
        return _check("log_entry", False, "the log served something that is not a ledger entry")
    document_id = (manifest.get("document") or {}).get("id")
    problem = None
    if recorded.get("event") != ARTIFACT_EVENT or recorded.get("sequence") != sequence:
        problem = f"entry {sequence} is not an {ARTIFACT_EVENT} entry"
    elif not isinstance(data, dict) or data.get("sha256") != pdf_sha256:
        problem = f"entry {sequence} records another file's SHA-256"
    elif data.get("document_id") != document_id:
        problem = f"entry {sequence} records document {data.get('document_id')}, not {document_id}"
    elif sequence <= issued.size:
        problem = f"entry {sequence} comes before the checkpoint the PDF was issued under ({issued.size})"
    elif sequence > current.size:
        problem = (
            f"entry {sequence} is not yet covered by a signed checkpoint (the latest is at size "
            f"{current.size}); check again in a minute"
        )
    if problem:
        return _check("log_entry", False, problem)
    try:
        _prove_included(tiles, current, sequence, entry_hash)
    except (_NotIncluded, WitnessError) as exc:
        return _check("log_entry", False, str(exc))
    return _check(
        "log_entry", True, f"entry {sequence}, {recorded.get('time')}, included at size {current.size}"
    )
