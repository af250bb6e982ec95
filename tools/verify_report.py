#!/usr/bin/env python3
"""Check a Pledgeproof PDF report offline, trusting nothing but the root certificate you give it.

    python tools/verify_report.py REPORT.pdf --root root.pem [--evidence DIR] [--json] [--at TIME]
        [--tsa-root FILE]... [--log URL|DIR [--checkpoint FILE] [--log-key KEY] [--save-log DIR]]
    python tools/verify_report.py --witness URL|DIR --state DIR [--log-key KEY]

Needs only pyHanko (pip install pyHanko pyhanko-certvalidator) and the `tlog` folder beside this
file (tools/tlog/: the log's Merkle proofs and signed notes): no Django, no database, and no
network unless --log is an address — certificates are never fetched and revocation is not
looked up online. It checks that
the file carries exactly one signature, a certification signature that allows no changes, that
the signature is cryptographically intact, chains to the given root and covers the whole file;
it reads manifest.json from the signed document and checks that the manifest names the
certificate that actually signed. With --evidence it hashes every file in DIR and compares the
hashes with the evidence files the manifest lists.

A signature may carry an RFC 3161 timestamp (when the platform was configured with a timestamp
authority). Its time and authority are always reported; it is vouched for when the authority's
certificate chains to a root you give with --tsa-root (or to the platform's root). A vouched-for
timestamp is the moment the certificates are judged at, so a document signed while the signing
certificate was valid stays verifiable after that certificate expires; without one they are judged
now, or at --at.

With --log (the platform's transparency log: its address, e.g. https://example.org/log, or a
folder holding a copy, as --save-log writes one) it also checks the document against the log
(tools/tlog/pdf_log.py): the checkpoint the manifest records is signed by the log's key, the log
today still extends it (nothing the document reports was rewritten or removed since), it extends
the checkpoint you saved with --checkpoint (e.g. by a witness), and it records this very file.
--witness runs a witness instead (tools/tlog/witness.py): it checks the log's checkpoint and its
consistency with the one saved in --state last time, then saves the new one.

Exit status: 0 when every check passes, 1 when any fails, 2 for a usage error (a missing file,
a root certificate that cannot be read).

The core is importable (`verify_pdf_bytes`, `verify_pdf_file`, `evidence_check`), which is how
Pledgeproof's own verify page and `manage.py verify_report` use it.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import logging
import os
import stat
import sys
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import read_certification_data, validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

if __package__ in (None, ""):  # run as a script: the tlog package beside this file must be importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.tlog.pdf_log import pdf_log_checks  # noqa: E402
from tools.tlog.source import Get, LogUnavailable, log_source, mirrored  # noqa: E402
from tools.tlog.witness import WitnessError, witness_check  # noqa: E402

MANIFEST_NAME = "manifest.json"
MAX_NAME_TREE_DEPTH = 32  # a name tree deeper than this is malformed, not a real document
HASH_CHUNK = 1024 * 1024

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
KIND_LABELS = {"public": "public progress report", "audit": "audit report", "summary": "program summary"}

# Checks that together say "the platform signed exactly this file"; the evidence check is separate.
SIGNATURE_CHECKS = ("readable", "one_signature", "certification", "intact", "trusted", "whole_file")

_TRUST_PROBLEMS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "the signing certificate does not chain to the given root",
    "EXPIRED": "a certificate in the chain has expired",
    "OUT_OF_BOUNDS_NO_POE": "the signing certificate was not valid at the validation time",
    "OUT_OF_BOUNDS_NOT_REVOKED": "the signing certificate was not valid at the validation time",
    "NOT_YET_VALID": "the signing certificate is not valid yet",
    "REVOKED": "the signing certificate has been revoked",
    "REVOKED_NO_POE": "the signing certificate has been revoked",
    "REVOKED_CA_NO_POE": "a certificate in the chain has been revoked",
    "CHAIN_CONSTRAINTS_FAILURE": "the certificate chain breaks a constraint (key usage, CA flags)",
    "SIG_CONSTRAINTS_FAILURE": "the signing certificate is not allowed to sign reports (key usage)",
    "CRYPTO_CONSTRAINTS_FAILURE": "the chain uses an algorithm that is no longer accepted",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "the chain uses an algorithm that is no longer accepted",
    "TRY_LATER": "revocation information is needed but was not available offline",
}


_MODIFICATIONS = {
    "NONE": "bytes were added, no content changed",
    "LTA_UPDATES": "validation data was added",
    "FORM_FILLING": "form fields were filled or signed",
    "ANNOTATIONS": "annotations were added",
    "OTHER": "content was changed",
}


class UsageError(Exception):
    """A problem with what the caller passed in (exit status 2), not with the document."""


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    ok: bool
    detail: str = ""


CHECK_TITLES = {
    "readable": "Readable PDF",
    "one_signature": "Exactly one signature",
    "certification": "Certification signature, no changes allowed",
    "intact": "Signature cryptographically intact",
    "trusted": "Signer trusted by the given root",
    "whole_file": "Signature covers the whole file, nothing added",
    "timestamp": "Timestamp token intact",
    "manifest": "manifest.json embedded in the signed document",
    "manifest_signer": "Manifest names the certificate that signed",
    "evidence": "Evidence files match the manifest",
}


def _check(key: str, ok: bool, detail: str = "") -> Check:
    return Check(key=key, title=CHECK_TITLES[key], ok=ok, detail=detail)


@dataclass(frozen=True)
class SignatureInfo:
    field_name: str
    signer_subject: str
    signer_sha256: str
    signing_time: str | None  # ISO 8601, as stated by the signer
    timestamp_time: str | None  # ISO 8601, from an RFC 3161 token when there is one
    trust_anchor: str | None
    timestamp_authority: str | None = None  # the subject of the certificate that signed the token
    timestamp_trusted: bool | None = None  # the token chains to a root given (None: no token)
    certificates_judged_at: str | None = None  # ISO 8601; None means at the time of checking


@dataclass(frozen=True)
class ExpectedEvidence:
    id: Any
    title: str
    sha256: str
    size_bytes: int | None
    visibility: str
    context: str  # the item (node id) or organisation the evidence belongs to

    def describe(self) -> str:
        where = f" ({self.context})" if self.context else ""
        return f"evidence #{self.id} “{self.title}”{where}, SHA-256 {self.sha256}"


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class EvidenceMatch:
    file: EvidenceFile
    evidence: tuple[ExpectedEvidence, ...]


@dataclass(frozen=True)
class EvidenceProblem:
    file: EvidenceFile
    message: str
    expected: ExpectedEvidence | None = None  # set when the name pointed at an evidence entry


@dataclass(frozen=True)
class EvidenceReport:
    folder: str
    matched: tuple[EvidenceMatch, ...]
    missing: tuple[ExpectedEvidence, ...]
    mismatched: tuple[EvidenceProblem, ...]  # named like an evidence entry, different content
    unexpected: tuple[EvidenceProblem, ...]  # content the manifest does not list at all
    ignored: tuple[str, ...]  # hidden files, links and other non-regular files

    @property
    def ok(self) -> bool:
        return not (self.missing or self.mismatched or self.unexpected)


@dataclass(frozen=True)
class VerificationResult:
    sha256: str
    size_bytes: int
    checks: tuple[Check, ...]
    signature: SignatureInfo | None = None
    manifest: dict[str, Any] | None = None
    evidence: EvidenceReport | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def signature_ok(self) -> bool:
        """The platform's certified signature covers exactly this file (manifest checks aside)."""
        by_key = {check.key: check for check in self.checks}
        return all(key in by_key and by_key[key].ok for key in SIGNATURE_CHECKS)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def document(self) -> dict[str, Any]:
        document = (self.manifest or {}).get("document")
        return document if isinstance(document, dict) else {}

    @property
    def document_id(self) -> str | None:
        value = self.document.get("id")
        return str(value) if value is not None else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["signature_ok"] = self.signature_ok
        data["document_id"] = self.document_id
        return data


# ---------------------------------------------------------------------------------------------
# Trust root


def load_root(data: bytes) -> asn1_x509.Certificate:
    """The trust anchor from PEM or DER bytes; raises UsageError when it is not one certificate."""
    try:
        if asn1_pem.detect(data):
            blocks = [der for kind, _, der in asn1_pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
            if len(blocks) != 1:
                raise UsageError(f"the root file must hold exactly one certificate; it holds {len(blocks)}")
            data = blocks[0]
        cert = asn1_x509.Certificate.load(data)
        cert.native  # noqa: B018 - parses the whole structure, so a damaged file fails here
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types for malformed input
        raise UsageError(f"the root file is not a readable X.509 certificate ({exc})") from None
    return cert


def _as_root(root: bytes | asn1_x509.Certificate) -> asn1_x509.Certificate:
    return root if isinstance(root, asn1_x509.Certificate) else load_root(root)


def load_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate in PEM (one or more blocks) or DER bytes, e.g. a timestamp authority's roots."""
    try:
        if asn1_pem.detect(data):
            blocks = [der for kind, _, der in asn1_pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
        else:
            blocks = [data]
        certs = [asn1_x509.Certificate.load(block) for block in blocks]
        for cert in certs:
            cert.native  # noqa: B018 - parses the whole structure, so a damaged file fails here
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many types for malformed input
        raise UsageError(f"not a readable X.509 certificate ({exc})") from None
    if not certs:
        raise UsageError("the file holds no certificate")
    return certs


# ---------------------------------------------------------------------------------------------
# The embedded manifest


def _name_tree_entries(node, depth: int = 0):
    """(name, value) pairs of a PDF name tree, following /Kids."""
    if depth > MAX_NAME_TREE_DEPTH:
        raise ValueError("the embedded files name tree is nested too deeply")
    node = node.get_object()
    names = node.get("/Names")
    if names is not None:
        names = names.get_object()
        for index in range(0, len(names) - 1, 2):
            yield str(names[index]), names[index + 1]
    for kid in node.get("/Kids", ()) or ():
        yield from _name_tree_entries(kid, depth + 1)


def _manifest_streams(root) -> list[bytes]:
    """The contents of every embedded file named manifest.json in a document catalog."""
    try:
        tree = root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return []
    found = []
    for name, value in _name_tree_entries(tree):
        spec = value.get_object()
        if not isinstance(spec, generic.DictionaryObject):
            continue
        file_names = {name, str(spec.get("/UF", "")), str(spec.get("/F", ""))}
        if MANIFEST_NAME not in file_names:
            continue
        streams = spec.get("/EF")
        if streams is None:
            continue
        streams = streams.get_object()
        stream = streams.get("/UF") or streams.get("/F")
        if stream is not None:
            found.append(stream.get_object().data)
    return found


def _read_manifest(root) -> tuple[dict[str, Any] | None, str]:
    """(manifest, problem): the parsed manifest, or None and why not."""
    try:
        streams = _manifest_streams(root)
    except Exception as exc:  # noqa: BLE001 - a malformed name tree is a finding, not a crash
        return None, f"the embedded files could not be read ({exc})"
    if not streams:
        return None, "the signed document has no embedded manifest.json"
    if len(streams) > 1:
        return None, f"the signed document embeds {len(streams)} files named manifest.json; expected one"
    try:
        manifest = json.loads(streams[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"manifest.json is not valid JSON ({exc})"
    if not isinstance(manifest, dict):
        return None, "manifest.json is valid JSON but not an object"
    return manifest, ""


# ---------------------------------------------------------------------------------------------
# Evidence


def manifest_evidence(manifest: dict[str, Any]) -> list[ExpectedEvidence]:
    """Every file evidence entry the manifest lists, wherever it sits (items, organisations' items)."""
    found: list[ExpectedEvidence] = []

    def walk(value, context: str) -> None:
        if isinstance(value, list):
            for entry in value:
                walk(entry, context)
            return
        if not isinstance(value, dict):
            return
        context = str(value.get("node") or value.get("slug") or context)
        for key, child in value.items():
            if key == "evidence" and isinstance(child, list):
                for entry in child:
                    if isinstance(entry, dict) and entry.get("kind") == "file" and entry.get("sha256"):
                        found.append(
                            ExpectedEvidence(
                                id=entry.get("id"),
                                title=str(entry.get("title", "")),
                                sha256=str(entry["sha256"]).lower(),
                                size_bytes=entry.get("size_bytes"),
                                visibility=str(entry.get("visibility", "")),
                                context=context,
                            )
                        )
            else:
                walk(child, context)

    walk(manifest, "")
    return found


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _evidence_files(folder: Path) -> tuple[list[EvidenceFile], list[str]]:
    files, ignored = [], []
    for current, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        for hidden in [d for d in dirs if d.startswith(".")]:
            dirs.remove(hidden)
            ignored.append(str((Path(current) / hidden).relative_to(folder)) + "/")
        for name in sorted(names):
            path = Path(current) / name
            relative = str(path.relative_to(folder))
            mode = os.lstat(path).st_mode
            if name.startswith(".") or not stat.S_ISREG(mode):
                ignored.append(relative)
                continue
            files.append(
                EvidenceFile(name=relative, sha256=file_sha256(path), size_bytes=os.path.getsize(path))
            )
    return files, ignored


def _named_after(file: EvidenceFile, expected: list[ExpectedEvidence]) -> ExpectedEvidence | None:
    """The evidence entry a file's name points at: its SHA-256 (content-addressed storage), the
    first 12 hex digits the download names end with ('evidence-<12>', '<title>-<12>.pdf'), or
    its title."""
    name = Path(file.name).name.lower()
    stem = name.split(".", 1)[0]
    for entry in expected:
        if entry.sha256 in name or stem.endswith(f"-{entry.sha256[:12]}"):
            return entry
    for entry in expected:
        if entry.title and stem == entry.title.lower():
            return entry
    return None


def evidence_check(manifest: dict[str, Any], folder: Path | str) -> EvidenceReport:
    """Compare every regular file in `folder` (recursively) with the manifest's file evidence."""
    folder = Path(folder)
    expected = manifest_evidence(manifest)
    by_hash: dict[str, list[ExpectedEvidence]] = {}
    for entry in expected:
        by_hash.setdefault(entry.sha256, []).append(entry)
    files, ignored = _evidence_files(folder)
    matched, mismatched, unexpected = [], [], []
    seen: set[str] = set()
    for file in files:
        entries = by_hash.get(file.sha256)
        if entries:
            matched.append(EvidenceMatch(file=file, evidence=tuple(entries)))
            seen.add(file.sha256)
            continue
        named = _named_after(file, expected)
        if named is not None:
            mismatched.append(
                EvidenceProblem(
                    file=file,
                    expected=named,
                    message=(
                        f"{file.name}: SHA-256 {file.sha256} does not match {named.describe()}; "
                        "the file differs from the evidence that was reported"
                    ),
                )
            )
        else:
            unexpected.append(
                EvidenceProblem(
                    file=file, message=f"{file.name}: SHA-256 {file.sha256} is not in the manifest"
                )
            )
    # An altered file already names the evidence it should have been; list it once, as altered.
    altered = {problem.expected.sha256 for problem in mismatched if problem.expected is not None}
    missing = [
        entry
        for sha256, entries in by_hash.items()
        if sha256 not in seen and sha256 not in altered
        for entry in entries
    ]
    return EvidenceReport(
        folder=str(folder),
        matched=tuple(matched),
        missing=tuple(missing),
        mismatched=tuple(mismatched),
        unexpected=tuple(unexpected),
        ignored=tuple(ignored),
    )


def _evidence_summary(report: EvidenceReport) -> str:
    parts = [f"{len(report.matched)} file(s) match"]
    if report.missing:
        parts.append(f"{len(report.missing)} evidence file(s) missing")
    if report.mismatched:
        parts.append(f"{len(report.mismatched)} altered")
    if report.unexpected:
        parts.append(f"{len(report.unexpected)} not in the manifest")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# The signature


def iso_time(value: datetime.datetime | None) -> str | None:
    return value.astimezone(datetime.UTC).isoformat() if value else None


def trust_detail(status) -> str:
    if status.trusted:
        return ""
    if not (status.intact and status.valid):
        return "a broken signature vouches for nothing"
    if status.revoked:
        return "the signing certificate has been revoked"
    indic = status.trust_problem_indic
    if indic is None:
        return "no chain of trust to the given root"
    name = getattr(indic, "name", str(indic))
    return f"{_TRUST_PROBLEMS.get(name, 'the certificate chain is not trusted')} ({name})"


def anchor_subject(status) -> str | None:
    path = status.validation_path
    if path is None:
        return None
    for cert in path.iter_certs(include_root=True):
        return cert.subject.human_friendly
    return None


def _certification_check(reader: PdfFileReader, embedded) -> Check:
    """The catalog's /Perms /DocMDP must point at this very signature, with level 1 (no changes)."""
    try:
        certification = read_certification_data(reader)
        docmdp_ref = reader.root["/Perms"].raw_get("/DocMDP") if certification else None
        own_ref = embedded.sig_field.raw_get("/V")
    except Exception as exc:  # noqa: BLE001 - a malformed catalog is a finding
        return _check("certification", False, f"the certification data is unreadable ({exc})")
    same = (
        isinstance(docmdp_ref, generic.IndirectObject)
        and isinstance(own_ref, generic.IndirectObject)
        and docmdp_ref.reference == own_ref.reference
    )
    if certification is None or not same:
        return _check(
            "certification", False, "it is an approval signature, not the document's certification signature"
        )
    if certification.permission != MDPPerm.NO_CHANGES:
        level = certification.permission.value if certification.permission else "unset"
        return _check(
            "certification", False, f"the certification allows changes (DocMDP level {level}, not 1)"
        )
    return _check("certification", True, "DocMDP level 1")


def _coverage_check(status) -> Check:
    modification = status.modification_level
    whole = (
        status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        and modification is not None
        and modification.name == "NONE"
        and status.docmdp_ok is not False
    )
    if whole:
        return _check("whole_file", True, "no bytes were added after signing")
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        level = _MODIFICATIONS.get(modification.name if modification is not None else "", "unknown changes")
        return _check(
            "whole_file", False, f"the file was changed after signing: an update was appended ({level})"
        )
    coverage = status.coverage.name.lower().replace("_", " ") if status.coverage else "unknown"
    return _check("whole_file", False, f"the signature does not cover the whole file (coverage: {coverage})")


def _signature_checks(status) -> tuple[list[Check], list[str]]:
    intact = status.intact and status.valid
    checks = [
        _check(
            "intact",
            intact,
            f"{status.md_algorithm}, {status.pkcs7_signature_mechanism}"
            if intact
            else "the signed bytes do not match the signature: the file was altered after signing",
        ),
        _check(
            "trusted",
            status.trusted,
            f"chain ends at “{anchor_subject(status)}”" if status.trusted else trust_detail(status),
        ),
        _coverage_check(status),
    ]
    notes = []
    timestamp = status.timestamp_validity
    if timestamp is not None and not (timestamp.intact and timestamp.valid):
        checks.append(_check("timestamp", False, "the RFC 3161 timestamp token is damaged"))
    elif timestamp is not None and not timestamp.trusted:
        notes.append(
            "The signature carries an RFC 3161 timestamp from an authority no root given covers; its time "
            "is shown but not vouched for, and the certificates are judged now. Give the authority's "
            "root certificate with --tsa-root to judge them at the timestamp's time."
        )
    elif timestamp is not None:
        checks.append(
            _check("timestamp", True, f"{iso_time(timestamp.timestamp)}, {timestamp_authority(timestamp)}")
        )
    return checks, notes


def timestamp_authority(timestamp) -> str | None:
    cert = getattr(timestamp, "signing_cert", None)
    return cert.subject.human_friendly if cert is not None else None


def vouched_time(timestamp) -> datetime.datetime | None:
    """The timestamp's time when the token is intact and chains to a trusted root; None otherwise."""
    if timestamp is None or not (timestamp.intact and timestamp.valid and timestamp.trusted):
        return None
    return timestamp.timestamp


def validation_context(
    roots: list[asn1_x509.Certificate], moment: datetime.datetime | None
) -> ValidationContext:
    # Offline on purpose: nothing is fetched, and revocation data that is absent is not a failure.
    return ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", moment=moment
    )


def _manifest_checks(
    reader: PdfFileReader, embedded, signer_sha256: str
) -> tuple[list[Check], dict[str, Any] | None, list[str]]:
    # The manifest that counts is the one in the revision the signature covers.
    try:
        signed_root = reader.get_historical_root(embedded.signed_revision)
    except Exception:  # noqa: BLE001 - fall back to the file as it is
        signed_root = reader.root
    manifest, problem = _read_manifest(signed_root)
    if manifest is None:
        return [_check("manifest", False, problem)], None, []
    checks = [_check("manifest", True, f"schema version {manifest.get('schema_version', '?')}")]
    notes = []
    if reader.total_revisions - 1 != embedded.signed_revision and _read_manifest(reader.root)[0] != manifest:
        notes.append(
            "The file's latest revision shows a different manifest.json from the one that was signed; "
            "the signed one is reported here."
        )
    claimed = str(manifest.get("signing_certificate_sha256") or "").lower()
    if not claimed:
        checks.append(_check("manifest_signer", False, "the manifest names no signing certificate"))
    elif claimed != signer_sha256:
        checks.append(
            _check(
                "manifest_signer",
                False,
                f"the manifest names certificate {claimed}, but the file was signed by {signer_sha256}",
            )
        )
    else:
        checks.append(_check("manifest_signer", True, signer_sha256))
    return checks, manifest, notes


def verify_pdf_bytes(
    data: bytes,
    *,
    root: bytes | asn1_x509.Certificate,
    evidence_dir: Path | str | None = None,
    validation_time: datetime.datetime | None = None,
    log: Get | None = None,
    log_key: str | None = None,
    saved_checkpoint: bytes | None = None,
    tsa_roots: tuple[asn1_x509.Certificate, ...] | list[asn1_x509.Certificate] = (),
) -> VerificationResult:
    """Verify one PDF against one trust root, and against the transparency log when `log` reads it.

    `tsa_roots` are the roots a timestamp authority's certificate may chain to (besides `root`);
    a timestamp vouched for by one of them sets the time the certificates are judged at, unless
    `validation_time` is given.

    Never raises for a bad document (every problem is a failed check); raises UsageError only for
    a root certificate or evidence folder that cannot be used.
    """
    root_cert = _as_root(root)
    if evidence_dir is not None and not Path(evidence_dir).is_dir():
        raise UsageError(f"the evidence folder {evidence_dir} does not exist or is not a folder")
    base = {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}
    checks: list[Check] = []

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a readable signed PDF"
        checks.append(_check("readable", False, f"the file could not be read as a PDF ({exc})"))
        return VerificationResult(**base, checks=tuple(checks))
    checks.append(_check("readable", True, f"{reader.total_revisions} revision(s)"))
    if not signatures:
        checks.append(_check("one_signature", False, "the file is not signed"))
        return VerificationResult(**base, checks=tuple(checks))
    if len(signatures) > 1:
        checks.append(_check("one_signature", False, f"the file carries {len(signatures)} signatures"))
    else:
        checks.append(_check("one_signature", True, f"field {signatures[0].field_name}"))
    embedded = signatures[0]
    checks.append(_certification_check(reader, embedded))

    ts_context = validation_context([root_cert, *tsa_roots], None)
    judged_at = validation_time
    try:
        status = validate_pdf_signature(
            embedded,
            signer_validation_context=validation_context([root_cert], validation_time),
            ts_validation_context=ts_context,
        )
        stamped = vouched_time(status.timestamp_validity)
        if validation_time is None and stamped is not None:
            # Judge the certificates when the authority says the signature existed, not today.
            judged_at = stamped
            status = validate_pdf_signature(
                embedded,
                signer_validation_context=validation_context([root_cert], stamped),
                ts_validation_context=ts_context,
            )
    except Exception as exc:  # noqa: BLE001 - malformed signatures raise many types
        reason = f"the signature could not be validated ({type(exc).__name__}: {exc})"
        checks += [_check(key, False, reason) for key in ("intact", "trusted", "whole_file")]
        return VerificationResult(**base, checks=tuple(checks))
    signature_checks, notes = _signature_checks(status)
    checks += signature_checks

    cert = status.signing_cert
    timestamp = status.timestamp_validity
    signature = SignatureInfo(
        field_name=embedded.field_name,
        signer_subject=cert.subject.human_friendly,
        signer_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        signing_time=iso_time(status.signer_reported_dt),
        timestamp_time=iso_time(timestamp.timestamp) if timestamp is not None else None,
        trust_anchor=anchor_subject(status),
        timestamp_authority=timestamp_authority(timestamp) if timestamp is not None else None,
        timestamp_trusted=bool(vouched_time(timestamp)) if timestamp is not None else None,
        certificates_judged_at=iso_time(judged_at),
    )
    manifest_checks, manifest, manifest_notes = _manifest_checks(reader, embedded, signature.signer_sha256)
    checks += manifest_checks
    notes += manifest_notes

    evidence = None
    if evidence_dir is not None and manifest is not None:
        evidence = evidence_check(manifest, evidence_dir)
        checks.append(_check("evidence", evidence.ok, _evidence_summary(evidence)))
    if log is not None and manifest is not None:
        for found in pdf_log_checks(
            manifest, base["sha256"], log, key=log_key, saved_checkpoint=saved_checkpoint
        ):
            checks.append(Check(key=found.key, title=found.title, ok=found.ok, detail=found.detail))
    return VerificationResult(
        **base,
        checks=tuple(checks),
        signature=signature,
        manifest=manifest,
        evidence=evidence,
        notes=tuple(notes),
    )


def verify_pdf_file(
    path: Path | str,
    *,
    root: bytes | asn1_x509.Certificate,
    evidence_dir: Path | str | None = None,
    validation_time: datetime.datetime | None = None,
    **log_options: Any,
) -> VerificationResult:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return verify_pdf_bytes(
        data, root=root, evidence_dir=evidence_dir, validation_time=validation_time, **log_options
    )


# ---------------------------------------------------------------------------------------------
# Presentation


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def manifest_summary(manifest: dict[str, Any]) -> str:
    items = manifest.get("items")
    organisations = manifest.get("organisations")
    evidence = manifest_evidence(manifest)
    parts = []
    if isinstance(items, list):
        statuses = Counter(
            str(item.get("status") or "unanswered") for item in items if isinstance(item, dict)
        )
        counted = ", ".join(
            f"{count} {status.replace('_', ' ')}" for status, count in sorted(statuses.items())
        )
        parts.append(f"{len(items)} item(s)" + (f" ({counted})" if counted else ""))
    if isinstance(organisations, list):
        parts.append(f"{len(organisations)} organisation(s)")
    parts.append(f"{len(evidence)} evidence file hash(es)")
    ledger_size = _get(manifest, "ledger", "size")
    if ledger_size is not None:
        parts.append(f"ledger size {ledger_size}, head {_get(manifest, 'ledger', 'head_hash')}")
    return "; ".join(parts)


def audit_summary(manifest: dict[str, Any]) -> list[str]:
    """One line per attested independent audit an audit report's manifest states (schema 3 on);
    nothing for a manifest without the key (other kinds, earlier versions)."""
    audits = manifest.get("audit")
    if not isinstance(audits, list):
        return []
    if not audits:
        return ["no attested independent audit covers this report"]
    lines = []
    for audit in audits:
        if not isinstance(audit, dict):
            lines.append("(an entry that is not an object)")
            continue
        auditors = audit.get("auditors") if isinstance(audit.get("auditors"), list) else []
        names, firm = ", ".join(str(name) for name in auditors), str(audit.get("firm") or "")
        by = f"{names} ({firm})" if names and firm else names or firm or "?"
        findings = audit.get("findings") if isinstance(audit.get("findings"), list) else []
        kinds = Counter(str(f.get("kind")) for f in findings if isinstance(f, dict))
        counted = (
            ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "none on this report"
        )
        attestation = audit.get("attestation") if isinstance(audit.get("attestation"), dict) else {}
        lines.append(
            f"opinion {attestation.get('opinion')}, attested {attestation.get('attested_on')} by {by}; "
            f"findings: {counted}; attestation {attestation.get('id')}: {attestation.get('url')}"
        )
    return lines


def _printable(value: Any) -> str:
    """The value as text, its control and format characters (escape sequences, bidi overrides)
    shown as '?': the manifest is read before anything says it can be trusted."""
    return "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in str(value))


def check_marks(stream) -> tuple[str, str]:
    """✓/✗ when the stream can print them, plain words otherwise."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        "✓✗“”".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "OK  ", "FAIL"
    return "✓", "✗"


def format_result(
    result: VerificationResult, *, file_label: str = "", marks: tuple[str, str] = ("✓", "✗")
) -> str:
    """The human-readable verdict."""
    ok_mark, bad_mark = marks
    m = result.manifest or {}
    lines = ["Pledgeproof report verification", ""]

    def fact(label: str, value: Any) -> None:
        if value not in (None, ""):
            lines.append(f"  {label:<14}{_printable(value)}")

    fact("File", file_label)
    fact("File SHA-256", result.sha256)
    fact("Size", f"{result.size_bytes:,} bytes")
    if m:
        document = result.document
        version = document.get("version")
        kind = KIND_LABELS.get(str(document.get("kind")), document.get("kind", "?"))
        fact("Document", f"{document.get('id', '?')} ({kind}, version {version})")
        fact("Organisation", _get(m, "organisation", "name"))
        period = m.get("period") if isinstance(m.get("period"), dict) else {}
        if period:
            fact("Period", f"{period.get('label')} ({period.get('starts_on')} to {period.get('ends_on')})")
        framework = m.get("framework") if isinstance(m.get("framework"), dict) else {}
        if framework:
            fact("Framework", f"{framework.get('id')} {framework.get('version')}")
        fact("Generated", document.get("generated_at"))
    if result.signature:
        s = result.signature
        fact("Signed by", s.signer_subject)
        fact("Certificate", f"SHA-256 {s.signer_sha256}")
        fact(
            "Signing time", f"{s.signing_time} (as stated by the signer)" if s.signing_time else "not stated"
        )
        if s.timestamp_time:
            vouched = "vouched for" if s.timestamp_trusted else "not vouched for by any root given"
            fact("Timestamp", f"{s.timestamp_time} by {s.timestamp_authority or '?'} ({vouched})")
        fact("Judged at", f"{s.certificates_judged_at}" if s.certificates_judged_at else "now")
    if m:
        fact("Manifest", manifest_summary(m))
        for line in audit_summary(m):
            fact("Audit", line)
    lines += ["", "Checks"]
    for check in result.checks:
        mark = ok_mark if check.ok else bad_mark
        lines.append(f"  {mark} {check.title}" + (f": {check.detail}" if check.detail else ""))
    evidence = result.evidence
    if evidence is not None:
        lines += ["", f"Evidence in {evidence.folder}"]
        for match in evidence.matched:
            described = "; ".join(
                f"#{e.id} “{e.title}”" + (f" ({e.context})" if e.context else "") for e in match.evidence
            )
            lines.append(f"  {ok_mark} {match.file.name} matches {described}")
        for problem in (*evidence.mismatched, *evidence.unexpected):
            lines.append(f"  {bad_mark} {problem.message}")
        for entry in evidence.missing:
            lines.append(f"  {bad_mark} missing: no file has the SHA-256 of {entry.describe()}")
        if evidence.ignored:
            lines.append(f"  (ignored, not regular visible files: {', '.join(evidence.ignored)})")
        if not (evidence.matched or evidence.mismatched or evidence.unexpected or evidence.missing):
            lines.append("  the manifest lists no evidence files and the folder holds none")
    if result.notes:
        lines += ["", "Notes"] + [f"  {note}" for note in result.notes]
    lines.append("")
    if result.ok:
        lines.append(
            "Verdict: GENUINE. The document is exactly as the holder of the given root's signing key "
            "certified it."
        )
    else:
        failed = ", ".join(check.title.lower() for check in result.failures)
        lines.append(f"Verdict: NOT VERIFIED. Failed: {failed}.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 as well; this keeps one place for the message
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="verify_report.py",
        description="Verify a Pledgeproof PDF report offline against the published root certificate.",
    )
    parser.add_argument("pdf", type=Path, nargs="?", help="the PDF report to check")
    parser.add_argument(
        "--root", type=Path, help="the Pledgeproof root certificate (PEM or DER); required with a PDF"
    )
    parser.add_argument(
        "--evidence", type=Path, metavar="DIR", help="a folder of evidence files to compare with the manifest"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="judge the certificates as of this ISO 8601 time (e.g. the signing time) instead of now",
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
    parser.add_argument("--verbose", action="store_true", help="also show pyHanko's own diagnostic log")
    log = parser.add_argument_group("transparency log")
    log.add_argument(
        "--log",
        metavar="URL|DIR",
        help="the platform's log (e.g. https://example.org/log) or a folder holding a copy: check the "
        "document against it",
    )
    log.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="a checkpoint of the log you saved earlier (e.g. a witness's): the log must extend it",
    )
    log.add_argument(
        "--log-key",
        metavar="KEY",
        help="the log's verifier key (<name>+<key id>+<base64>) to pin; by default the one the signed "
        "manifest names",
    )
    log.add_argument(
        "--save-log", type=Path, metavar="DIR", help="keep a copy of what is read from --log in DIR"
    )
    log.add_argument(
        "--witness",
        metavar="URL|DIR",
        help="instead of checking a PDF, witness the log: verify its checkpoint and its consistency with "
        "the one saved in --state, then save it",
    )
    log.add_argument(
        "--state", type=Path, metavar="DIR", help="the witness's folder (its key and checkpoint)"
    )
    return parser


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _witness(args) -> int:
    if args.state is None or args.pdf is not None:
        raise UsageError("--witness takes --state DIR and no PDF")
    try:
        result = witness_check(args.witness, args.state, key=args.log_key)
    except WitnessError as exc:
        if exc.inconsistent:
            print(f"INCONSISTENT: {exc}")
            return EXIT_FAILED
        raise UsageError(f"could not check the log: {exc}") from None
    current, previous = result.current, result.previous
    since = (
        f"consistent with the checkpoint saved at size {previous.size}"
        if previous
        else "first checkpoint saved"
    )
    print(f"{current.origin}: {current.size} entries, root {current.root.hex()}; {since}.")
    return EXIT_OK


def _log_options(args) -> dict[str, Any]:
    if args.log is None:
        if args.checkpoint or args.save_log or args.log_key:
            raise UsageError("--checkpoint, --log-key and --save-log need --log")
        return {}
    try:
        get = log_source(args.log)
    except LogUnavailable as exc:
        raise UsageError(str(exc)) from None
    if args.save_log is not None:
        get = mirrored(get, args.save_log)
    saved = None
    if args.checkpoint is not None:
        try:
            saved = args.checkpoint.read_bytes()[: 64 * 1024 + 1]
        except OSError as exc:
            raise UsageError(f"cannot read the checkpoint {args.checkpoint}: {exc.strerror or exc}") from None
    return {"log": get, "log_key": args.log_key, "saved_checkpoint": saved}


def read_tsa_roots(paths: list[Path]) -> list[asn1_x509.Certificate]:
    roots = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"cannot read the timestamp authority root {path}: {exc.strerror or exc}"
            ) from None
        try:
            roots += load_certificates(data)
        except UsageError as exc:
            raise UsageError(f"{path}: {exc}") from None
    return roots


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # pyHanko logs each failed check with a traceback; the verdict below already says why.
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.CRITICAL, format="%(name)s: %(message)s"
    )
    try:
        if args.witness is not None:
            return _witness(args)
        if args.pdf is None or args.root is None:
            raise UsageError("give the PDF to check and --root (or --witness URL --state DIR)")
        try:
            root_bytes = args.root.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read the root certificate {args.root}: {exc.strerror or exc}") from None
        result = verify_pdf_file(
            args.pdf,
            root=load_root(root_bytes),
            evidence_dir=args.evidence,
            validation_time=args.at,
            tsa_roots=read_tsa_roots(args.tsa_root),
            **_log_options(args),
        )
    except UsageError as exc:
        print(f"verify_report.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        sys.stdout.write(format_result(result, file_label=str(args.pdf), marks=check_marks(sys.stdout)))
    return EXIT_OK if result.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
