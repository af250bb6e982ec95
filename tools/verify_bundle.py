#!/usr/bin/env python3
"""Check a Pledgeproof audit bundle offline: the ZIP (or its unpacked folder) and nothing else.

    python tools/verify_bundle.py BUNDLE.zip|FOLDER [--root FILE] [--checkpoint FILE] [--log-key KEY]
        [--tsa-root FILE]... [--at TIME] [--json]

Needs what tools/verify_report.py needs (pyHanko, and the `tlog` folder beside this file) and
that file itself: no Django, no database, no network. The archive is read where it is, never
unpacked; a name that would leave the folder, a link, a duplicate, a file larger than it says or
too large to be a bundle's is refused before anything else is read. Then, in order:

- `manifest`: manifest.json lists every other file with its SHA-256, and nothing else is there
  (but manifest.json.p7s, its signature);
- `root`: root.pem is the root certificate you give with --root (got from the platform where you
  trust it); without --root it is trusted as bundled and its SHA-256 printed, to compare with the
  fingerprint the platform publishes. (Re-signed PDFs with a swapped root.pem still fail against
  the log, which records the SHA-256 of every PDF the platform issued.)
- `manifest_signature`: manifest.json.p7s is a detached CMS signature of manifest.json, intact, by a
  certificate that chains to that root (pyHanko's validate_detached_cms): so the files only the
  manifest vouches for (oscal/, VERIFY.md) rest on the platform's signature too. A timestamp in it
  is reported, and judges the certificates when a --tsa-root vouches for it, as for the PDFs;
- `log_key`: log/key is the log key every signed PDF's manifest names (or the one given with
  --log-key): the PDFs' signatures vouch for it, so that the checkpoint below is the log's;
- `checkpoint`: log/checkpoint is signed by that key, and the bundled hash tiles give its root;
- `saved_checkpoint` (with --checkpoint): the bundle's checkpoint extends the one you saved earlier
  (RFC 9162 consistency proof computed from the bundled tiles, so no network is needed; a
  checkpoint newer than the bundle's cannot be judged offline and fails with that reason);
- `pdf:<name>` for each PDF: every check of verify_report.py against root.pem, and against the
  bundled copy of the log (issued under a checkpoint the bundle's extends; the log records it);
- `evidence`: each evidence/<sha256> file has that SHA-256, and every evidence file the PDFs'
  manifests list is there;
- `ledger`: each line of ledger/entries.jsonl hashes right (SHA-256 of the previous hash and the
  payload, the payload naming its own sequence), and lines that follow each other are chained;
  an entry whose payload is withheld from the bundle's holder is checked by its proof only;
- `inclusion`: each entry's proof in ledger/proofs.jsonl leads from its hash to the checkpoint's root.

Exit status: 0 when every check passes, 1 when any fails (a refused archive included), 2 for a
usage error (a file that cannot be read). `--json` prints the result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import logging
import os
import re
import stat
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import cms
from pyhanko.sign.validation import async_validate_detached_cms

if __package__ in (None, ""):  # run as a script: the tools folder's packages must be importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.tlog import merkle, note  # noqa: E402
from tools.tlog.entry import chain_hash  # noqa: E402
from tools.tlog.pdf_log import manifest_log  # noqa: E402
from tools.tlog.source import LogUnavailable  # noqa: E402
from tools.tlog.witness import TileReader, WitnessError, prove_extends  # noqa: E402
from tools.verify_report import (  # noqa: E402
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    anchor_subject,
    check_marks,
    iso_time,
    load_root,
    manifest_evidence,
    read_tsa_roots,
    timestamp_authority,
    trust_detail,
    validation_context,
    verify_pdf_bytes,
    vouched_time,
)

FORMAT = "pledgeproof-audit-bundle"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.p7s"  # detached CMS (DER) of manifest.json by the platform's key

# What a bundle may be. Larger or stranger archives are refused unread: a bundle is the platform's
# own output, and a verifier must not be made to fill a disk or memory by a crafted file.
MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 1 << 30  # one file (evidence is far smaller)
MAX_TOTAL_BYTES = 16 << 30
MAX_RATIO = 200  # declared size / compressed size; deflate of real bundle files is far below
MAX_MANIFEST_BYTES = 64 << 20
MAX_SIGNATURE_BYTES = 1 << 20  # a CMS signature with its chain and a timestamp is a few KiB
MAX_LINE_BYTES = 1 << 20
HASH_CHUNK = 1 << 20
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
ROOT_TITLE = "The root certificate is the one trusted"
SIGNATURE_TITLE = "The manifest is signed by the platform"


class Refused(Exception):
    """The archive is not one this verifier will read (the `archive` check fails)."""


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    ok: bool
    detail: str = ""


@dataclass
class BundleResult:
    location: str
    checks: list[Check] = field(default_factory=list)
    scope: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    root_sha256: str | None = None  # SHA-256 of the trust anchor's DER, to compare with a published one
    manifest_signature: dict[str, Any] | None = None  # who signed manifest.json, and when

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, key: str, title: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(key, title, ok, detail))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# ---------------------------------------------------------------------------------------------
# Reading the bundle: a ZIP read in place, or a folder, behind one interface


def safe_name(name: str) -> str:
    """The member name if it is a plain relative path of safe parts; Refused otherwise."""
    parts = name.split("/")
    if not name or len(name) > 1000 or not all(_NAME.fullmatch(part) for part in parts):
        raise Refused(f"the archive holds a file name this verifier will not read: {name[:200]!r}")
    return name


class Bundle:
    """A bundle's files by name (POSIX, relative), read on demand, each at most its declared size."""

    def __init__(
        self, sizes: dict[str, int], read: Callable[[str], bytes], stream: Callable[[str], Iterator[bytes]]
    ):
        self.sizes, self._read, self._stream = sizes, read, stream

    @property
    def names(self) -> list[str]:
        return sorted(self.sizes)

    def read(self, name: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
        if name not in self.sizes:
            raise KeyError(name)
        if self.sizes[name] > limit:
            raise Refused(f"{name} is larger than {limit} bytes")
        return self._read(name)

    def sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        for chunk in self._stream(name):
            digest.update(chunk)
        return digest.hexdigest()


def open_zip(path: Path) -> Bundle:
    try:
        archive = zipfile.ZipFile(path)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(f"not a readable ZIP archive ({exc})") from None
    if len(members) > MAX_MEMBERS:
        raise Refused(f"the archive holds {len(members)} entries, more than a bundle may ({MAX_MEMBERS})")
    sizes: dict[str, int] = {}
    folded: set[str] = set()
    total = 0
    for info in members:
        if info.is_dir():
            safe_name(info.filename.rstrip("/"))
            continue
        name = safe_name(info.filename)
        mode = info.external_attr >> 16
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            raise Refused(f"{name} is not a regular file (a link or a device)")
        if name in sizes or name.lower() in folded:
            raise Refused(f"the archive holds {name} twice")
        if info.flag_bits & 0x1:
            raise Refused(f"{name} is encrypted")
        if info.file_size > MAX_MEMBER_BYTES:
            raise Refused(f"{name} declares {info.file_size} bytes, more than a bundle's file may hold")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise Refused(
                f"{name} would expand {info.file_size // max(info.compress_size, 1)} times: a ZIP bomb"
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise Refused(f"the archive declares more than {MAX_TOTAL_BYTES} bytes in all")
        sizes[name] = info.file_size
        folded.add(name.lower())

    def stream(name: str) -> Iterator[bytes]:
        # zipfile reads no more than the declared size and checks the CRC at the end: a member that
        # lies about its size or content raises BadZipFile instead of growing.
        try:
            with archive.open(name) as handle:
                while chunk := handle.read(HASH_CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise Refused(f"{name} cannot be read from the archive ({exc})") from None

    def read(name: str) -> bytes:
        return b"".join(stream(name))

    return Bundle(sizes, read, stream)


def open_folder(path: Path) -> Bundle:
    sizes: dict[str, int] = {}
    for current, dirs, files in os.walk(path, followlinks=False):
        for name in sorted(dirs + files):
            full = Path(current) / name
            relative = full.relative_to(path).as_posix()
            safe_name(relative)
            mode = os.lstat(full).st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise Refused(f"{relative} is not a regular file (a link or a device)")
            if len(sizes) >= MAX_MEMBERS:
                raise Refused(f"the folder holds more than {MAX_MEMBERS} files")
            sizes[relative] = os.path.getsize(full)

    def stream(name: str) -> Iterator[bytes]:
        with open(path / name, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                yield chunk

    def read(name: str) -> bytes:
        return (path / name).read_bytes()

    return Bundle(sizes, read, stream)


def open_bundle(path: Path) -> Bundle:
    if path.is_dir():
        return open_folder(path)
    if not path.is_file():
        raise UsageError(f"{path} is neither a ZIP file nor a folder")
    return open_zip(path)


def log_get(bundle: Bundle) -> Callable[[str, int], bytes]:
    """The bundled copy of the log (log/...), read as tools/tlog reads a log."""

    def get(path: str, limit: int) -> bytes:
        name = f"log/{path}"
        if name not in bundle.sizes:
            raise LogUnavailable(f"the bundle has no {name}")
        if bundle.sizes[name] > limit:
            raise LogUnavailable(f"{name} is larger than {limit} bytes")
        return bundle.read(name, limit)

    return get


# ---------------------------------------------------------------------------------------------
# The checks


def _manifest(bundle: Bundle, result: BundleResult) -> dict[str, Any] | None:
    title = "Every file is listed in manifest.json with its SHA-256, and no other"
    if MANIFEST_NAME not in bundle.sizes:
        result.add("manifest", title, False, "the bundle has no manifest.json")
        return None
    try:
        manifest = json.loads(bundle.read(MANIFEST_NAME, MAX_MANIFEST_BYTES))
    except (ValueError, Refused) as exc:
        result.add("manifest", title, False, f"manifest.json is not JSON ({exc})")
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if manifest.get("format") != FORMAT or not isinstance(files, dict):
        result.add("manifest", title, False, f"manifest.json is not a {FORMAT} manifest")
        return None
    problems = []
    for name, expected in sorted(files.items()):
        if name not in bundle.sizes:
            problems.append(f"{name} is missing")
        elif not isinstance(expected, str) or bundle.sha256(name) != expected.lower():
            problems.append(f"{name} has another SHA-256 than listed")
    for name in bundle.names:
        if name not in (MANIFEST_NAME, SIGNATURE_NAME) and name not in files:
            problems.append(f"{name} is not in the manifest")
    result.add("manifest", title, not problems, "; ".join(problems[:20]) or f"{len(files)} files")
    scope = manifest.get("scope")
    result.scope = scope if isinstance(scope, dict) else None
    return manifest


def _pdfs(bundle: Bundle) -> list[str]:
    return [name for name in bundle.names if name.startswith("pdf/") and name.endswith(".pdf")]


def _log_key(
    bundle: Bundle, result: BundleResult, pinned: str | None, named: set[str]
) -> note.VerifierKey | None:
    title = "The log key is the one the signed PDFs name"
    try:
        text = bundle.read("log/key", 1024).decode("ascii").strip()
        key = note.VerifierKey.parse(text)
    except (KeyError, UnicodeDecodeError, note.NoteError, Refused) as exc:
        result.add("log_key", title, False, f"log/key is missing or not a verifier key ({exc})")
        return None
    vouched = {pinned.strip()} if pinned else named
    if not vouched:
        result.add(
            "log_key", title, False, "no signed PDF names a log key: give the log's key with --log-key"
        )
        return None
    if vouched != {text}:
        result.add(
            "log_key",
            title,
            False,
            f"the bundle's key {text} is not the one vouched for ({', '.join(sorted(vouched))})",
        )
        return None
    result.add("log_key", title, True, text)
    return key


def _checkpoint(
    bundle: Bundle, result: BundleResult, key: note.VerifierKey
) -> tuple[note.CheckpointBody, TileReader] | None:
    title = "The checkpoint is signed by the log's key and the bundled tiles give its root"
    try:
        body = note.checkpoint_open(bundle.read("log/checkpoint", note.MAX_NOTE_BYTES), key)
    except (KeyError, note.NoteError, Refused) as exc:
        result.add("checkpoint", title, False, f"log/checkpoint does not verify ({exc})")
        return None
    tiles = TileReader(log_get(bundle), body.size)
    try:
        root = tiles.root() if body.size else body.root
    except (WitnessError, Refused) as exc:
        result.add("checkpoint", title, False, f"the tiles cannot be read ({exc})")
        return None
    if root != body.root:
        result.add("checkpoint", title, False, "the bundled tiles give another root than the checkpoint")
        return None
    result.checkpoint = {"origin": body.origin, "size": body.size, "root": body.root.hex()}
    result.add("checkpoint", title, True, f"{body.origin} at {body.size} entries, root {body.root.hex()}")
    return body, tiles


def _saved(
    result: BundleResult, saved: bytes, key: note.VerifierKey, current: note.CheckpointBody, tiles: TileReader
) -> None:
    title = "The bundle's checkpoint extends the one you saved"
    try:
        older = note.checkpoint_open(saved, key)
    except note.NoteError as exc:
        result.add(
            "saved_checkpoint",
            title,
            False,
            f"the saved checkpoint does not verify with the log's key ({exc})",
        )
        return
    if older.size > current.size:
        result.add(
            "saved_checkpoint",
            title,
            False,
            f"you saved a checkpoint at {older.size} entries, newer than the bundle's ({current.size}): "
            "check it against the live log (verify_report.py --log URL --checkpoint FILE)",
        )
        return
    try:
        prove_extends(tiles, current, older, "the checkpoint you saved at size")
    except WitnessError as exc:
        result.add("saved_checkpoint", title, False, str(exc))
        return
    result.add("saved_checkpoint", title, True, f"size {older.size} → {current.size}")


def _check_pdfs(
    bundle: Bundle, result: BundleResult, root_der, at, key_text: str | None, tsa_roots
) -> list[dict[str, Any]]:
    manifests = []
    get = log_get(bundle)
    for name in _pdfs(bundle):
        try:
            data = bundle.read(name)
        except Refused as exc:
            result.add(f"pdf:{name}", f"{name} is signed, intact and recorded in the log", False, str(exc))
            continue
        verified = verify_pdf_bytes(
            data, root=root_der, validation_time=at, log=get, log_key=key_text, tsa_roots=tsa_roots
        )
        failed = [f"{check.title}: {check.detail}" for check in verified.checks if not check.ok]
        detail = "; ".join(failed) if failed else f"{verified.document_id}, {len(verified.checks)} checks"
        result.add(f"pdf:{name}", f"{name} is signed, intact and recorded in the log", not failed, detail)
        if verified.manifest is not None and verified.signature_ok:
            manifests.append(verified.manifest)
    return manifests


def _evidence(bundle: Bundle, result: BundleResult, manifests: list[dict[str, Any]]) -> None:
    title = "Evidence files have the SHA-256 they are named by, and the PDFs' evidence is all here"
    problems = []
    present = set()
    for name in bundle.names:
        if not name.startswith("evidence/"):
            continue
        named = name.removeprefix("evidence/")
        if not _SHA256.fullmatch(named):
            problems.append(f"{name} is not named by a SHA-256")
            continue
        try:
            actual = bundle.sha256(name)
        except Refused as exc:
            problems.append(str(exc))
            continue
        if actual != named:
            problems.append(f"{name} has the SHA-256 {actual}: its content was changed")
            continue
        present.add(named)
    expected = {entry.sha256: entry for manifest in manifests for entry in manifest_evidence(manifest)}
    for sha256, entry in sorted(expected.items()):
        if sha256 not in present and f"evidence/{sha256}" not in bundle.sizes:
            problems.append(f"missing: {entry.describe()}")
    result.add(
        "evidence",
        title,
        not problems,
        "; ".join(problems[:20]) or f"{len(present)} files, {len(expected)} listed by the PDFs",
    )


def _jsonl(bundle: Bundle, name: str) -> list[dict[str, Any]]:
    lines = bundle.read(name).decode("utf-8").splitlines()
    rows = []
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            raise ValueError(f"{name} line {number} is too long")
        row = json.loads(line)
        if not isinstance(row, dict):
            raise ValueError(f"{name} line {number} is not an object")
        rows.append(row)
    return rows


def _ledger(bundle: Bundle, result: BundleResult) -> list[dict[str, Any]] | None:
    title = "Each ledger entry hashes right and follows the one before it"
    try:
        rows = _jsonl(bundle, "ledger/entries.jsonl")
    except (KeyError, ValueError, UnicodeDecodeError, Refused) as exc:
        result.add("ledger", title, False, f"ledger/entries.jsonl cannot be read ({exc})")
        return None
    problems, withheld, previous = [], 0, None
    for row in rows:
        sequence, prev_hash, entry_hash, payload = (
            row.get(k) for k in ("sequence", "prev_hash", "entry_hash", "payload")
        )
        if not (
            isinstance(sequence, int)
            and sequence > 0
            and all(isinstance(h, str) and _SHA256.fullmatch(h) for h in (prev_hash, entry_hash))
        ):
            problems.append(f"an entry is malformed: {json.dumps(row)[:120]}")
            continue
        if previous is not None and sequence <= previous["sequence"]:
            problems.append(f"entry {sequence} comes after entry {previous['sequence']}")
        if (
            previous is not None
            and sequence == previous["sequence"] + 1
            and prev_hash != previous["entry_hash"]
        ):
            problems.append(f"entry {sequence} does not follow entry {sequence - 1}: the chain is broken")
        if payload is None:
            withheld += 1
        elif not isinstance(payload, str):
            problems.append(f"entry {sequence}'s payload is not the text that was hashed")
        else:
            if chain_hash(prev_hash, payload) != entry_hash:
                problems.append(f"entry {sequence}'s hash is not SHA-256(previous hash ‖ payload)")
            try:
                stated = json.loads(payload).get("sequence")
            except (ValueError, AttributeError):
                stated = None
            if stated != sequence:
                problems.append(f"entry {sequence}'s payload says it is entry {stated}")
        previous = row
    detail = "; ".join(problems[:20]) or f"{len(rows)} entries" + (
        f", {withheld} by their hashes only (payload withheld)" if withheld else ""
    )
    result.add("ledger", title, not problems, detail)
    return rows


def _inclusion(
    bundle: Bundle, result: BundleResult, rows: list[dict[str, Any]], checkpoint: note.CheckpointBody
) -> None:
    title = "Each ledger entry is included in the checkpoint's tree"
    try:
        rows_of_proofs = _jsonl(bundle, "ledger/proofs.jsonl")
    except (KeyError, ValueError, UnicodeDecodeError, Refused) as exc:
        result.add("inclusion", title, False, f"ledger/proofs.jsonl cannot be read ({exc})")
        return
    problems = []
    proofs: dict[int, dict[str, Any]] = {}
    for proof in rows_of_proofs:
        sequence = proof.get("sequence")
        if not isinstance(sequence, int) or sequence in proofs:
            problems.append(f"a proof names no entry, or one named twice: {json.dumps(proof)[:120]}")
        else:
            proofs[sequence] = proof
    for row in rows:
        sequence, entry_hash = row.get("sequence"), row.get("entry_hash")
        if not isinstance(sequence, int) or not isinstance(entry_hash, str):
            problems.append(f"an entry is malformed: {json.dumps(row)[:120]}")
            continue
        proof = proofs.pop(sequence, None)
        if proof is None:
            problems.append(f"entry {sequence} has no proof")
            continue
        try:
            if proof.get("tree_size") != checkpoint.size or proof.get("leaf_index") != sequence - 1:
                raise merkle.ProofError(
                    f"the proof is for leaf {proof.get('leaf_index')} of a tree of {proof.get('tree_size')}"
                )
            hashes = [bytes.fromhex(value) for value in proof.get("hashes") or []]
            merkle.verify_inclusion(
                leaf=bytes.fromhex(entry_hash),
                index=sequence - 1,
                size=checkpoint.size,
                proof=hashes,
                root=checkpoint.root,
            )
        except (merkle.ProofError, ValueError, TypeError, AttributeError) as exc:
            problems.append(f"entry {sequence}: {exc}")
    if proofs:
        problems.append(f"{len(proofs)} proof(s) of no entry in the bundle")
    result.add(
        "inclusion",
        title,
        not problems,
        "; ".join(problems[:20]) or f"{len(rows)} proofs against root {checkpoint.root.hex()[:16]}…",
    )


def verify_bundle(
    path: Path | str,
    *,
    root: Any | None = None,
    saved_checkpoint: bytes | None = None,
    log_key: str | None = None,
    at: datetime.datetime | None = None,
    tsa_roots: tuple[Any, ...] | list[Any] = (),
) -> BundleResult:
    """Every check above. Raises UsageError only for a path that is neither a file nor a folder.

    `tsa_roots` are the roots a timestamp authority's certificate may chain to (besides the
    platform's root), for the timestamps of the PDFs' and the manifest's signatures."""
    path = Path(path)
    result = BundleResult(location=str(path))
    try:
        bundle = open_bundle(path)
    except Refused as exc:
        result.add("archive", "The archive is safe to read", False, str(exc))
        return result
    result.add("archive", "The archive is safe to read", True, f"{len(bundle.sizes)} files")
    try:
        _run(bundle, result, saved_checkpoint, log_key, at, root, tsa_roots)
    except Refused as exc:
        result.add("archive", "The archive is safe to read", False, str(exc))
    return result


def _root(bundle: Bundle, result: BundleResult, pinned: Any | None):
    """The trust anchor: the root you give (--root), which root.pem must be, or else root.pem,
    whose fingerprint you compare with one published where you trust it."""
    try:
        bundled = load_root(bundle.read("root.pem", 64 * 1024))
    except (KeyError, UsageError) as exc:
        result.add("root", ROOT_TITLE, False, f"root.pem is missing or not one certificate ({exc})")
        return None
    fingerprint = hashlib.sha256(bundled.dump()).hexdigest()
    result.root_sha256 = fingerprint
    if pinned is None:
        result.add(
            "root",
            ROOT_TITLE,
            True,
            f"SHA-256 {fingerprint}, not pinned: compare it with the fingerprint the platform publishes, "
            "or give that root with --root",
        )
        return bundled
    if pinned.dump() != bundled.dump():
        result.add("root", ROOT_TITLE, False, f"root.pem (SHA-256 {fingerprint}) is not the root you gave")
        return None
    result.add("root", ROOT_TITLE, True, f"SHA-256 {fingerprint}, the root you gave")
    return pinned


def signed_data(data: bytes) -> cms.SignedData:
    """The one signer's SignedData of a detached CMS signature (DER); ValueError for anything else."""
    try:
        info = cms.ContentInfo.load(data, strict=True)
        kind = info["content_type"].native
        signed = info["content"] if kind == "signed_data" else None
        if signed is not None:
            signed.native  # noqa: B018 - parses the whole structure, so a damaged file fails here
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types for malformed input
        raise ValueError(f"it is not a DER-encoded CMS signature ({type(exc).__name__})") from None
    if signed is None:
        raise ValueError(f"it is CMS {kind}, not signed data")
    if len(signed["signer_infos"]) != 1:
        raise ValueError(f"it holds {len(signed['signer_infos'])} signatures, not one")
    if signed["encap_content_info"]["content"].native is not None:
        raise ValueError("it is not a detached signature: it carries content of its own")
    return signed


def _validate_detached(data: bytes, signed: cms.SignedData, root, at, tsa_roots):
    """pyHanko's validation of `signed` over `data`, with the certificates judged at `at`, else at a
    timestamp a root vouches for, else now (as tools/verify_report.py judges a PDF's)."""

    def validate(moment):
        return asyncio.run(
            async_validate_detached_cms(
                data,
                signed,
                signer_validation_context=validation_context([root], moment),
                ts_validation_context=validation_context([root, *tsa_roots], None),
            )
        )

    status = validate(at)
    stamped = vouched_time(status.timestamp_validity)
    if at is None and stamped is not None:
        return validate(stamped), stamped
    return status, at


def _manifest_signature(bundle: Bundle, result: BundleResult, root, at, tsa_roots) -> None:
    if SIGNATURE_NAME not in bundle.sizes:
        result.add(
            "manifest_signature",
            SIGNATURE_TITLE,
            False,
            f"the bundle has no {SIGNATURE_NAME}: nothing vouches for manifest.json, nor for the files "
            "only it covers",
        )
        return
    try:
        manifest = bundle.read(MANIFEST_NAME, MAX_MANIFEST_BYTES)
    except (KeyError, Refused) as exc:
        result.add("manifest_signature", SIGNATURE_TITLE, False, f"no manifest.json to check ({exc})")
        return
    try:
        signed = signed_data(bundle.read(SIGNATURE_NAME, MAX_SIGNATURE_BYTES))
        status, judged_at = _validate_detached(manifest, signed, root, at, tsa_roots)
    except Refused as exc:  # its own message names the file
        result.add("manifest_signature", SIGNATURE_TITLE, False, str(exc))
        return
    except ValueError as exc:
        result.add("manifest_signature", SIGNATURE_TITLE, False, f"{SIGNATURE_NAME}: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - malformed signatures raise many types in pyHanko
        result.add(
            "manifest_signature",
            SIGNATURE_TITLE,
            False,
            f"{SIGNATURE_NAME} could not be validated ({type(exc).__name__}: {exc})",
        )
        return
    cert, timestamp = status.signing_cert, status.timestamp_validity
    result.manifest_signature = {
        "signer_subject": cert.subject.human_friendly,
        "signer_sha256": hashlib.sha256(cert.dump()).hexdigest(),
        "trust_anchor": anchor_subject(status),
        "signing_time": iso_time(status.signer_reported_dt),
        "timestamp_time": iso_time(timestamp.timestamp) if timestamp is not None else None,
        "timestamp_authority": timestamp_authority(timestamp) if timestamp is not None else None,
        "timestamp_trusted": bool(vouched_time(timestamp)) if timestamp is not None else None,
        "certificates_judged_at": iso_time(judged_at),
    }
    if not status.intact:
        problem = "manifest.json is not the file that was signed: it was changed after signing"
    elif not status.valid:
        problem = "the signature does not verify with its certificate: it is damaged or forged"
    elif not status.trusted:
        problem = f"signed by “{cert.subject.human_friendly}”: {trust_detail(status)}"
    elif timestamp is not None and not (timestamp.intact and timestamp.valid):
        problem = "its RFC 3161 timestamp token is damaged"
    else:
        problem = None
    if problem:
        result.add("manifest_signature", SIGNATURE_TITLE, False, problem)
        return
    detail = f"by “{cert.subject.human_friendly}”, chain ends at “{anchor_subject(status)}”"
    if status.signer_reported_dt is not None:
        detail += f", signed at {iso_time(status.signer_reported_dt)} (as the signer states)"
    if timestamp is not None:
        authority = timestamp_authority(timestamp)
        vouched = "vouched for" if vouched_time(timestamp) else "not vouched for: give its root, --tsa-root"
        detail += f"; timestamp {iso_time(timestamp.timestamp)} by {authority} ({vouched})"
    result.add("manifest_signature", SIGNATURE_TITLE, True, detail)


def _run(bundle: Bundle, result: BundleResult, saved_checkpoint, log_key, at, pinned_root, tsa_roots) -> None:
    _manifest(bundle, result)
    root = _root(bundle, result, pinned_root)
    if root is None:
        return
    _manifest_signature(bundle, result, root, at, tsa_roots)
    # The PDFs first: their signed manifests name the log key that the rest is checked with.
    manifests = _check_pdfs(bundle, result, root, at, log_key, tsa_roots)
    named = {found[1].strip() for manifest in manifests if (found := manifest_log(manifest)) is not None}
    key = _log_key(bundle, result, log_key, named)
    if key is None:
        return
    found = _checkpoint(bundle, result, key)
    if found is None:
        return
    checkpoint, tiles = found
    if saved_checkpoint is not None:
        _saved(result, saved_checkpoint, key, checkpoint, tiles)
    _evidence(bundle, result, manifests)
    rows = _ledger(bundle, result)
    if rows is not None:
        _inclusion(bundle, result, rows, checkpoint)


# ---------------------------------------------------------------------------------------------
# Command line


def format_result(result: BundleResult, marks: tuple[str, str] = ("✓", "✗")) -> str:
    ok_mark, bad_mark = marks
    lines = ["Pledgeproof audit bundle verification", "", f"  Bundle        {result.location}"]
    if result.root_sha256:
        lines.append(f"  Root SHA-256  {result.root_sha256}")
    if result.checkpoint:
        lines.append(f"  Checkpoint    {result.checkpoint['origin']} at {result.checkpoint['size']} entries")
    for report in (result.scope or {}).get("reports") or []:
        if isinstance(report, dict):
            lines.append(
                f"  Report        {report.get('reference')} {report.get('organisation')}"
                f" {report.get('period')}"
            )
    lines += ["", "Checks"]
    for check in result.checks:
        lines.append(
            f"  {ok_mark if check.ok else bad_mark} {check.title}"
            + (f": {check.detail}" if check.detail else "")
        )
    lines.append("")
    if result.ok:
        lines.append(
            "Verdict: VERIFIED. Every file is as the platform issued it and the log holds every entry."
        )
    else:
        failed = ", ".join(check.key for check in result.checks if not check.ok)
        lines.append(f"Verdict: NOT VERIFIED. Failed: {failed}.")
    return "\n".join(lines) + "\n"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="verify_bundle.py", description="Check a Pledgeproof audit bundle offline.")
    parser.add_argument("bundle", type=Path, help="the bundle's ZIP, or the folder it was unpacked into")
    parser.add_argument(
        "--root",
        type=Path,
        metavar="FILE",
        help="the platform's root certificate as you got it independently: root.pem must be it",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="a checkpoint of the log you saved earlier: the bundle's must extend it",
    )
    parser.add_argument(
        "--log-key",
        metavar="KEY",
        help="the log's verifier key to pin; by default the one the signed PDFs name",
    )
    parser.add_argument(
        "--tsa-root",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a timestamp authority's root certificate (PEM or DER; may repeat): a timestamp it vouches "
        "for is the time the certificates are judged at",
    )
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="judge the certificates as of this ISO 8601 time instead of now",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--verbose", action="store_true", help="also show pyHanko's own diagnostic log")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.CRITICAL, format="%(name)s: %(message)s"
    )
    try:
        saved = None
        if args.checkpoint is not None:
            try:
                saved = args.checkpoint.read_bytes()[: note.MAX_NOTE_BYTES + 1]
            except OSError as exc:
                raise UsageError(
                    f"cannot read the checkpoint {args.checkpoint}: {exc.strerror or exc}"
                ) from None
        root = None
        if args.root is not None:
            try:
                root = load_root(args.root.read_bytes())
            except OSError as exc:
                raise UsageError(
                    f"cannot read the root certificate {args.root}: {exc.strerror or exc}"
                ) from None
        result = verify_bundle(
            args.bundle,
            root=root,
            saved_checkpoint=saved,
            log_key=args.log_key,
            at=args.at,
            tsa_roots=read_tsa_roots(args.tsa_root),
        )
    except UsageError as exc:
        print(f"verify_bundle.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        sys.stdout.write(format_result(result, marks=check_marks(sys.stdout)))
    return EXIT_OK if result.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
