"""Content sniffing for evidence uploads: what a file is, judged by all of its bytes.

Pledgeproof must never become a place where images or other media are stored (DESIGN §7), so
an upload is judged by its content alone: never by its file name or the type the client
declared. The name only chooses between text subtypes (CSV, Markdown) once the content has
already proven to be text, and a name ending .json or .csv obliges the content to be that.

`ContentSniffer` is fed the upload chunk by chunk while it streams to disk, so memory stays
flat however large the file is, and binary content is refused on its first chunk rather than
after the whole file has been written. Text is checked as it streams (sniffing.text); JSON,
CSV (sniffing.structured) and PDF (sniffing.pdf) are checked whole once the file is complete
on disk, through a second read.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterable
from typing import BinaryIO, NoReturn

from commitments.errors import UploadRefused
from commitments.sniffing.common import (
    CSV,
    DEFAULT_ALLOWED_MEDIA_TYPES,
    EXTENSIONS,
    JSON,
    LABELS,
    MARKDOWN,
    PDF,
    TEXT,
    TEXT_TYPES,
    allowed_labels,
    allowed_media_types,
    describe_allowed,
    pdf_images_allowed,
)
from commitments.sniffing.pdf import check_pdf
from commitments.sniffing.signatures import OFFICE, describe_upload
from commitments.sniffing.structured import check_csv, check_json, is_json
from commitments.sniffing.text import TextScanner

__all__ = [
    "CSV",
    "DEFAULT_ALLOWED_MEDIA_TYPES",
    "EXTENSIONS",
    "HEAD_BYTES",
    "JSON",
    "MARKDOWN",
    "PDF",
    "TEXT",
    "ContentSniffer",
    "allowed_media_types",
    "describe_allowed",
    "sniff_bytes",
]

# Enough for every signature filetype knows (it looks at 8 KiB at most).
HEAD_BYTES = 8192
# A file that starts with markup is named for what it is ("an SVG image"); markup anywhere
# else is refused by TextScanner, with its position.
_IDENTITY_WINDOW = 1024
# A name that says "this is text" keeps text that merely starts with "[" (a Markdown link, a
# "[Draft]" tag) from being held to JSON's grammar; every other name, and .json, does not.
_TEXT_NAMES = (".txt", ".text", ".md", ".markdown", ".csv")

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


class ContentSniffer:
    """Decides an upload's media type from its bytes, refusing as early as it can.

    Call `feed()` with each chunk in order, then `finish()` once; both raise UploadRefused.
    `finish()` rereads the content through the `reopen` callable to check a PDF, JSON or CSV
    whole, so the file must be complete by then.
    """

    def __init__(
        self, *, name: str = "", allowed: Iterable[str] | None = None, pdf_images: bool | None = None
    ):
        self.name = name.lower()
        self.allowed = frozenset(allowed) if allowed is not None else allowed_media_types()
        # Raster images inside PDFs, refused unless the operator allows them (EVIDENCE_PDF_IMAGES).
        self.pdf_images = pdf_images_allowed() if pdf_images is None else pdf_images
        self._text = TextScanner()
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
            check_pdf(reopen, images_allowed=self.pdf_images)
            return PDF
        self._check_text(b"", final=True)
        media_type = self._text_subtype(reopen=reopen)
        if media_type not in self.allowed:
            self._refuse_as(LABELS[media_type], allowed_label=True)
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
            if not self.allowed & TEXT_TYPES:
                self._refuse_as("a text file", allowed_label=True)
            self._judge_text_head(head)
            self._mode = "text"
            self._check_text(head)
            return
        # Not text: name what it is when we can, so the person knows why it was refused.
        what = describe_upload(head)
        if what is not None:
            self._refuse_as(what)
        if _mostly_text(head):
            raise UploadRefused(problem)
        raise UploadRefused(
            f"This file is not a permitted document type ({', '.join(allowed_labels(self.allowed))})."
        )

    def _judge_text_head(self, head: bytes) -> None:
        """Text formats that are programs or active content, refused although they are text."""
        text = head.removeprefix(_UTF8_BOM)[:_IDENTITY_WINDOW].decode("utf-8", errors="replace")
        lowered = text.lower()
        stripped = lowered.lstrip()
        if stripped.startswith("#!"):
            self._refuse_as("an executable script (it starts with #!)")
        if stripped.startswith("<"):
            if "<svg" in lowered:
                self._refuse_as("an SVG image")
            if any(marker in lowered for marker in ("<!doctype html", "<html", "<script", "<iframe")):
                self._refuse_as("an HTML page")
            if stripped.startswith("<?xml"):
                self._refuse_as("an XML document")
        if stripped.startswith("%!"):
            self._refuse_as("a PostScript program")
        if stripped.startswith("{\\rtf"):
            self._refuse_as(f"{OFFICE} (RTF)")

    def _refuse_as(self, what: str, *, allowed_label: bool = False) -> NoReturn:
        hint = describe_allowed(self.allowed)
        if allowed_label:
            raise UploadRefused(f"This file is {what}, which is not accepted here. Upload {hint}.")
        if what.startswith(OFFICE):
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
        self._text.feed(chunk, final=final)
        self._checked += len(chunk)
        self._last_byte = chunk[-1:]

    def _text_subtype(self, *, reopen: Callable[[], BinaryIO]) -> str:
        named_json = self.name.endswith(".json")
        looks_like_json = self._first_char in ("{", "[")
        if named_json or (looks_like_json and not self.name.endswith(_TEXT_NAMES)):
            if JSON not in self.allowed:
                self._refuse_as("JSON", allowed_label=True)
            check_json(reopen, named=named_json)
            return JSON
        if looks_like_json and JSON in self.allowed and is_json(reopen):
            return JSON
        if self.name.endswith(".csv"):
            check_csv(reopen)
            return CSV
        if self.name.endswith((".md", ".markdown")):
            return MARKDOWN
        return TEXT


def sniff_bytes(
    data: bytes, *, name: str = "", chunk_size: int = 64 * 1024, pdf_images: bool | None = None
) -> str:
    """Sniff content already in memory; the streaming path in evidence_storage does the same."""
    sniffer = ContentSniffer(name=name, pdf_images=pdf_images)
    for start in range(0, len(data), chunk_size):
        sniffer.feed(data[start : start + chunk_size])
    return sniffer.finish(size=len(data), reopen=lambda: io.BytesIO(data))


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
