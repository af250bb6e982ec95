"""C2SP signed notes (c2sp.org/signed-note) with Ed25519, and checkpoints (c2sp.org/tlog-checkpoint).

No Django here: the standalone verifier and witnesses use the same parser. The parser is strict
and refuses rather than guesses: a note is untrusted input until a known key's signature over it
verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_NOTE_BYTES = 64 * 1024
MAX_SIGNATURES = 64
MAX_TREE_SIZE = 2**63 - 1
_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class NoteError(ValueError):
    """The note is malformed, or no signature by the expected key verifies."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """`<name>+<hex key id>+<base64(0x01 || 32-byte public key)>`."""
        parts = text.strip().split("+", 2)  # the name has no "+", the base64 may
        if len(parts) != 3 or not _NAME.fullmatch(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise NoteError("a verifier key reads <name>+<8 hex digits>+<base64 key>")
        raw = _b64(parts[2], "the verifier key")
        if len(raw) != 33 or raw[:1] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key")
        key = cls(parts[0], bytes.fromhex(parts[1]), Ed25519PublicKey.from_public_bytes(raw[1:]))
        if key_id(key.name, raw[1:]) != key.key_id:
            raise NoteError("the verifier key's id does not match its name and key")
        return key

    def __str__(self) -> str:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519 + raw).decode()}"


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def verifier_key(name: str, private_key: Ed25519PrivateKey) -> VerifierKey:
    if not _NAME.fullmatch(name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")
    public = private_key.public_key()
    return VerifierKey(name, key_id(name, public.public_bytes(Encoding.Raw, PublicFormat.Raw)), public)


def note_sign(text: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: the text, a blank line, one signature line."""
    _check_text(text)
    key = verifier_key(name, private_key)
    signature = private_key.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{name} {base64.b64encode(key.key_id + signature).decode()}\n"


def note_open(note: bytes | str, key: VerifierKey) -> str:
    """The text of `note` once a signature by `key` verifies; NoteError otherwise.

    Signatures by other keys are ignored, as the spec requires; one by this key that fails to
    verify rejects the note.
    """
    if isinstance(note, str):
        note = note.encode()
    if len(note) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("the note is not UTF-8") from None
    if any(ord(char) < 0x20 and char != "\n" for char in decoded):
        raise NoteError("the note contains control characters")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no signature block")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("the signature block does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("the note has too many signatures")
    verified = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line does not start with an em dash")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not _NAME.fullmatch(name) or not encoded or " " in encoded:
            raise NoteError("a signature line reads '\u2014 <name> <base64>'")
        signature = _b64(encoded, "a signature")
        if len(signature) < 5:
            raise NoteError("a signature is too short")
        if name != key.name or signature[:4] != key.key_id:
            continue
        try:
            key.public_key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise NoteError("the log's signature does not verify") from None
        verified = True
    if not verified:
        raise NoteError("the note carries no signature by the log's key")
    return text


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str, *, origin: str | None = None) -> CheckpointBody:
        """The body of a checkpoint; `origin`, when given, must be the first line."""
        if not text.endswith("\n"):
            raise NoteError("a checkpoint ends in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise NoteError("a checkpoint has at least three non-empty lines")
        if origin is not None and lines[0] != origin:
            raise NoteError(f"the checkpoint is for the log {lines[0]!r}, not {origin!r}")
        if not _SIZE.fullmatch(lines[1]) or int(lines[1]) > MAX_TREE_SIZE:
            raise NoteError("the tree size is not a decimal number in range")
        root = _b64(lines[2], "the root hash")
        if len(root) != 32:
            raise NoteError("the root hash is not 32 bytes")
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))


def checkpoint_open(note: bytes | str, key: VerifierKey) -> CheckpointBody:
    """Verify a signed checkpoint by the log whose key is `key` (origin = key name)."""
    return CheckpointBody.parse(note_open(note, key), origin=key.name)


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note text ends in one newline and has no blank lines or control characters")


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
