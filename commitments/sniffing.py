"""Content sniffing for evidence uploads.

Pledgeproof must never become a place where images or other media are stored (DESIGN §7), so
an upload is judged by its bytes alone: never by its file name or the type the client
declared. The name only chooses between text subtypes (CSV, Markdown) once the content has
already proven to be text.

`ContentSniffer` is fed the upload chunk by chunk while it streams to disk, so memory stays
flat however large the file is, and binary content is refused on its first chunk rather than
after the whole file has been written.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import BinaryIO, NoReturn

import filetype
from django.conf import settings
from filetype.types import APPLICATION, ARCHIVE, AUDIO, DOCUMENT, FONT, IMAGE, VIDEO

from commitments.errors import UploadRefused

PDF = "application/pdf"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
CSV = "text/csv"
JSON = "application/json"

DEFAULT_ALLOWED_MEDIA_TYPES = (PDF, TEXT, MARKDOWN, CSV, JSON)
_TEXT_TYPES = frozenset({TEXT, MARKDOWN, CSV, JSON})
_LABELS = {PDF: "PDF", TEXT: "plain text", MARKDOWN: "Markdown", CSV: "CSV", JSON: "JSON"}

# Enough for every signature filetype knows (it looks at 8 KiB at most) and for the markup check.
HEAD_BYTES = 8192
# Markup is looked for near the start only: a document *about* HTML may quote tags further down.
_MARKUP_WINDOW = 1024
# Confirming JSON means parsing the whole document in memory, and arrays of small values cost
# about twelve times their size in Python objects. Larger JSON-looking text is still accepted,
# labelled plain text, so that one upload cannot take hundreds of megabytes.
JSON_PARSE_MAX_BYTES = 2 * 1024 * 1024
_CSV_SAMPLE_CHARS = 64 * 1024

# C0 controls other than tab, LF, FF and CR, plus DEL. In UTF-8 these bytes never occur inside
# a multi-byte sequence, so they can be searched for in the raw bytes.
_BINARY_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# bytes.translate deleting every other byte runs at memory speed, ten times faster than the
# regex; the regex only runs to find the position once something was found.
_NOT_BINARY_CONTROL = bytes(b for b in range(256) if not _BINARY_CONTROL_BYTES.match(bytes([b])))
# C1 controls (U+0080 to U+009F) in UTF-8. In valid UTF-8, 0xC2 is always a lead byte, so this
# cannot match in the middle of another character.
_C1_CONTROLS = re.compile(rb"\xc2[\x80-\x9f]")
_NON_SPACE = re.compile(r"\S")

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Checked before filetype: it does not know Mach-O, and its "exe" is any file starting "MZ".
_EXECUTABLE_SIGNATURES = (
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows PE"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O universal or Java class"),
    (b"\x00asm", "WebAssembly"),
    (b"dex\n", "Android DEX"),
)

_OFFICE = "an office document"
_FILETYPE_LABELS = {
    "jpg": "JPEG",
    "tif": "TIFF",
    "gz": "gzip",
    "bz2": "bzip2",
    "7z": "7-Zip",
    "Z": "Unix compress",
    "exe": "Windows PE",
    "zst": "Zstandard",
    "br": "Brotli",
    "dcm": "DICOM",
    "ar": "Unix ar",
}
_FILETYPE_KINDS = {
    "exe": "an executable program",
    "elf": "an executable program",
    "wasm": "an executable program",
    "crx": "a browser extension",
    "swf": "a Flash file",
    "sqlite": "a database file",
    "eot": "a font file",
    "nes": "a game ROM",
    "ps": "a PostScript program",
    "rtf": _OFFICE,
    "deb": "a software package",
    "rpm": "a software package",
    "epub": "an e-book",
    "dcm": "a medical image",
}
_FILETYPE_GROUPS = (
    (IMAGE, "an image"),
    (VIDEO, "a video"),
    (AUDIO, "an audio file"),
    (FONT, "a font file"),
    (DOCUMENT, _OFFICE),
    (APPLICATION, "an executable program"),
    (ARCHIVE, "a compressed archive"),
)


def allowed_media_types() -> frozenset[str]:
    # Only the default types can ever be produced, so the setting can narrow the set but never
    # open the door to images, archives or executables.
    configured = getattr(settings, "EVIDENCE_ALLOWED_MEDIA_TYPES", DEFAULT_ALLOWED_MEDIA_TYPES)
    return frozenset(configured) & frozenset(DEFAULT_ALLOWED_MEDIA_TYPES)


def describe_allowed(allowed: Iterable[str]) -> str:
    """'PDF, plain text, Markdown, CSV or JSON', in a stable order."""
    labels = _allowed_labels(allowed)
    if not labels:
        return "nothing (evidence uploads are switched off)"
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


class ContentSniffer:
    """Decides an upload's media type from its bytes, refusing as early as it can.

    Call `feed()` with each chunk in order, then `finish()` once; both raise UploadRefused.
    `finish()` may reread the content (to confirm JSON or CSV) through the `reopen` callable.
    """

    def __init__(self, *, name: str = "", allowed: Iterable[str] | None = None):
        self.name = name.lower()
        self.allowed = frozenset(allowed) if allowed is not None else allowed_media_types()
        self._head = bytearray()
        self._mode: str | None = None  # "pdf" or "text" once the head has been judged
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._checked = 0  # bytes of text validated so far, for positions in messages
        self._last_byte = b""  # a C1 control may straddle two chunks
        self._first_char = ""  # first non-space character, to spot JSON cheaply

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self._mode is None:
            self._head += chunk
            if len(self._head) >= HEAD_BYTES:
                self._judge_head(complete=False)
        elif self._mode == "text":
            self._check_text(chunk)

    def finish(self, *, size: int, reopen: Callable[[], BinaryIO]) -> str:
        if size == 0:
            raise UploadRefused("This file is empty.")
        if self._mode is None:
            self._judge_head(complete=True)
        if self._mode == "pdf":
            return PDF
        self._check_text(b"", final=True)
        media_type = self._text_subtype(size=size, reopen=reopen)
        if media_type not in self.allowed:
            raise UploadRefused(
                f"This file is {_LABELS[media_type]}, which is not accepted here. "
                f"Upload {describe_allowed(self.allowed)}."
            )
        return media_type

    # The head: the first HEAD_BYTES, or the whole file when it is smaller.

    def _judge_head(self, *, complete: bool) -> None:
        head = bytes(self._head)
        self._head = bytearray()
        if head.startswith(b"%PDF-"):
            if PDF not in self.allowed:
                self._refuse_as("a PDF document", allowed_label=True)
            self._mode = "pdf"
            return
        if head.startswith(_UTF16_32_BOMS):
            raise UploadRefused(
                "This file is UTF-16 or UTF-32 text. Save it as UTF-8 and upload it again, "
                f"or upload {describe_allowed(self.allowed)}."
            )
        problem = _text_problem(head, complete=complete, allowed=self.allowed)
        if problem is None:
            if not self.allowed & _TEXT_TYPES:
                self._refuse_as("a text file", allowed_label=True)
            self._judge_text_head(head)
            self._mode = "text"
            self._check_text(head)
            return
        # Not text: name what it is when we can, so the person knows why it was refused.
        for signature, label in _EXECUTABLE_SIGNATURES:
            if head.startswith(signature):
                self._refuse_as(f"an executable program ({label})")
        kind = filetype.guess(head)
        if kind is not None:
            self._refuse_as(_describe_filetype(kind))
        if _mostly_text(head):
            raise UploadRefused(problem)
        raise UploadRefused(
            f"This file is not a permitted document type ({', '.join(_allowed_labels(self.allowed))})."
        )

    def _judge_text_head(self, head: bytes) -> None:
        """Text formats that are programs or active content, refused although they are text."""
        text = head.removeprefix(_UTF8_BOM)[:_MARKUP_WINDOW].decode("utf-8", errors="replace")
        lowered = text.lower()
        stripped = lowered.lstrip()
        if stripped.startswith("#!"):
            self._refuse_as("an executable script (it starts with #!)")
        if "<svg" in lowered:
            self._refuse_as("an SVG image")
        if any(marker in lowered for marker in ("<!doctype html", "<html", "<script", "<iframe")):
            self._refuse_as("an HTML page")
        if stripped.startswith("<?xml"):
            self._refuse_as("an XML document")
        if stripped.startswith("%!"):
            self._refuse_as("a PostScript program")
        if stripped.startswith("{\\rtf"):
            self._refuse_as(f"{_OFFICE} (RTF)")

    def _refuse_as(self, what: str, *, allowed_label: bool = False) -> NoReturn:
        hint = describe_allowed(self.allowed)
        if allowed_label:
            raise UploadRefused(f"This file is {what}, which is not accepted here. Upload {hint}.")
        if what.startswith(_OFFICE):
            instead = "Save it as PDF and upload that." if PDF in self.allowed else f"Upload {hint}."
            raise UploadRefused(f"This file is {what}, which is not accepted. {instead}")
        raise UploadRefused(f"This file is {what}, not a document. Upload {hint}.")

    # Text: valid UTF-8 all the way through, with no binary control characters.

    def _check_text(self, chunk: bytes, *, final: bool = False) -> None:
        control = _first_control(chunk)
        if control is not None:
            raise UploadRefused(_control_byte_message(chunk[control], self._checked + control, self.allowed))
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise UploadRefused(
                _not_utf8_message(self._checked - pending + exc.start, self.allowed)
            ) from None
        c1 = _C1_CONTROLS.search(self._last_byte + chunk)
        if c1 is not None:
            position = self._checked - len(self._last_byte) + c1.start()
            raise UploadRefused(_control_char_message(c1.group()[1], position, self.allowed))
        if not self._first_char:
            found = _NON_SPACE.search(text.removeprefix("\ufeff") if self._checked == 0 else text)
            if found is not None:
                self._first_char = found.group()
        self._checked += len(chunk)
        self._last_byte = chunk[-1:]

    def _text_subtype(self, *, size: int, reopen: Callable[[], BinaryIO]) -> str:
        looks_like_json = self._first_char in ("{", "[") and size <= JSON_PARSE_MAX_BYTES
        if JSON in self.allowed and looks_like_json and _parses_as_json(reopen):
            return JSON
        if self.name.endswith(".csv") and _reads_as_csv(reopen):
            return CSV
        if self.name.endswith((".md", ".markdown")):
            return MARKDOWN
        return TEXT


def sniff_bytes(data: bytes, *, name: str = "", chunk_size: int = 64 * 1024) -> str:
    """Sniff content already in memory; the streaming path in evidence_storage does the same."""
    sniffer = ContentSniffer(name=name)
    for start in range(0, len(data), chunk_size):
        sniffer.feed(data[start : start + chunk_size])
    return sniffer.finish(size=len(data), reopen=lambda: io.BytesIO(data))


def _allowed_labels(allowed: Iterable[str]) -> list[str]:
    allowed = frozenset(allowed)
    return [_LABELS[media_type] for media_type in DEFAULT_ALLOWED_MEDIA_TYPES if media_type in allowed]


def _text_problem(head: bytes, *, complete: bool, allowed: frozenset[str]) -> str | None:
    """Why `head` is not text, or None. An incomplete head may end inside a character."""
    control = _first_control(head)
    if control is not None:
        return _control_byte_message(head[control], control, allowed)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError as exc:
        return _not_utf8_message(exc.start, allowed)
    c1 = _C1_CONTROLS.search(head)
    if c1 is not None:
        return _control_char_message(c1.group()[1], c1.start(), allowed)
    return None


def _first_control(data: bytes) -> int | None:
    if not data.translate(None, _NOT_BINARY_CONTROL):
        return None
    return _BINARY_CONTROL_BYTES.search(data).start()


def _control_byte_message(byte: int, position: int, allowed: frozenset[str]) -> str:
    return (
        f"This file is not plain text: it contains the binary control character 0x{byte:02X} "
        f"at byte {position:,}. Upload {describe_allowed(allowed)}."
    )


def _control_char_message(second_byte: int, position: int, allowed: frozenset[str]) -> str:
    return (
        f"This file is not plain text: it contains the control character U+00{second_byte:02X} "
        f"at byte {position:,}. Upload {describe_allowed(allowed)}."
    )


def _not_utf8_message(position: int, allowed: frozenset[str]) -> str:
    return (
        f"This file is not valid UTF-8 text (first problem at byte {position:,}). "
        f"Save it as UTF-8 and upload it again, or upload {describe_allowed(allowed)}."
    )


def _mostly_text(head: bytes) -> bool:
    """Text with a stray bad byte deserves a precise message; real binary a generic one."""
    binary = len(head.translate(None, _NOT_BINARY_CONTROL))
    return binary <= max(1, len(head) // 100)


def _describe_filetype(kind: filetype.Type) -> str:
    label = _FILETYPE_LABELS.get(kind.extension, kind.extension.upper())
    what = _FILETYPE_KINDS.get(kind.extension)
    if what is None:
        what = next(
            (name for group, name in _FILETYPE_GROUPS if isinstance(kind, tuple(type(t) for t in group))),
            "a binary file",
        )
    return f"{what} ({label})"


def _parses_as_json(reopen: Callable[[], BinaryIO]) -> bool:
    def refuse_constant(name: str) -> None:
        # Python accepts NaN and Infinity; JSON does not.
        raise ValueError(name)

    def discard(*_args: object) -> None:
        # Only validity matters: dropping objects and numbers as they are parsed saves memory.
        return None

    with reopen() as stream:
        try:
            json.loads(
                stream.read().decode("utf-8-sig"),
                parse_constant=refuse_constant,
                object_pairs_hook=discard,
                parse_float=discard,
                parse_int=discard,
            )
        except ValueError:
            return False
    return True


def _reads_as_csv(reopen: Callable[[], BinaryIO]) -> bool:
    """Sniffer finds a delimiter in a sample and every row of the whole file has the same width."""
    with reopen() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        sample = text.read(_CSV_SAMPLE_CHARS)
        if len(sample) == _CSV_SAMPLE_CHARS and "\n" in sample:
            # Keep only whole lines so the sniffer does not see a truncated record.
            sample = sample[: sample.rindex("\n") + 1]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            return False
        text.seek(0)
        width = None
        try:
            for row in csv.reader(text, dialect):
                if not row:
                    continue
                if width is None:
                    width = len(row)
                elif len(row) != width:
                    return False
        except csv.Error:
            return False
    return width is not None and width >= 2
