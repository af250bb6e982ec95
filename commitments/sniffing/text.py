"""Text evidence, judged over its whole content: markup a browser would run or draw, and images.

A text file can still carry a picture: as SVG or HTML markup, as a data:image address, as a
base64 or hex run that decodes to an image file, or as one of the image formats that are
themselves text (PBM/PGM/PPM/PAM, XPM, XBM). `TextScanner` looks for all of them in every
chunk as the upload streams in, keeping the end of the previous chunk so that nothing escapes
by straddling a chunk boundary, and refuses with the byte offset of what it found.
"""

from __future__ import annotations

import binascii
import re

from commitments.errors import UploadRefused
from commitments.sniffing.common import DESCRIBE_NOT_DEPICT
from commitments.sniffing.signatures import Hidden, find_hidden_in_any

# Longer than anything the patterns below match, and than the base64 run head that is decoded,
# so a match cut by the end of one chunk is seen whole with the next.
OVERLAP = 8 * 1024
# Text is scanned in pieces of at least this much, whatever size the chunks arrive in.
SCAN_BYTES = 64 * 1024
_RUN_HEAD_CHARS = 4096

# Elements that run code, load something or draw: what makes a text file dangerous if a
# browser ever renders it. HTML tag names are ASCII and case-insensitive, and the tag opens
# only when a letter follows "<" directly ("< svg" is text to a browser, not a tag).
_ACTIVE_TAGS = (
    "svg", "math", "html", "head", "body", "script", "style", "link", "meta", "base", "iframe",
    "frame", "frameset", "object", "embed", "applet", "img", "image", "picture", "source",
    "video", "audio", "track", "canvas", "form", "input", "button", "template", "portal",
    "xml", "xsl:stylesheet", "bgsound", "marquee",
)  # fmt: skip
_MARKUP = re.compile(
    rb"<(?:(?P<tag>" + b"|".join(tag.encode() for tag in _ACTIVE_TAGS) + rb")(?![a-z0-9:_-])"
    rb"|(?P<declaration>!doctype|\?xml))",
    re.IGNORECASE,
)
# Any other element becomes active with an event handler attribute (<div onclick=…>): found by
# the attribute, then confirmed to sit inside a tag that opened shortly before it.
_HANDLER = re.compile(rb"[\s/\"']on[a-z]{3,}\s*=", re.IGNORECASE)
_OPEN_TAG = re.compile(rb"<[a-z][^\s/<>]*[\s/][^<>]*\Z", re.IGNORECASE)
_TAG_REACH = 512
_MARKUP_LABELS = {"svg": "SVG", "math": "MathML", "xml": "XML", "xsl:stylesheet": "XML", "?xml": "XML"}

_DATA_IMAGE = re.compile(rb"data:\s*image/", re.IGNORECASE)
# Long runs of base64 (standard or URL-safe) and of hex digits: the usual ways to put a binary
# file into text. Their decoded start is checked for an image or another file's signature.
# Wrapped runs (MIME and PEM base64, `xxd -p` hex) count as one, from their first line. Runs
# shorter than a useful image are left alone: hashes (a SHA-512 is 128 hex digits) and tokens.
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{32,}=*+(?:\r?\n[A-Za-z0-9+/_-]{4,}=*+)*+")
_BASE64_MIN = 64
_HEX_RUN = re.compile(rb"[0-9A-Fa-f]{32,}(?:\r?\n[0-9A-Fa-f]{32,})*+")
_HEX_MIN = 130
_URL_SAFE = bytes.maketrans(b"-_", b"+/")
_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_BASE64_CLASS = bytes(0x61 if byte in _BASE64_CHARS else 0x20 for byte in range(256))
_HEX_CLASS = bytes(0x61 if byte in b"0123456789ABCDEFabcdef" else 0x20 for byte in range(256))
_RUN_OF_32 = b"a" * 32

# Image formats that are text. Netpbm is recognised by its header as tools write it: the magic
# number on a line of its own, then width and height (and for greyscale and colour, the maximum
# value), so that a line such as "P1 incidents" is not taken for one.
# At the very start, any whitespace may separate the header's fields, but they must be followed
# by what the format has next: bits for a text PBM, the maximum value for PGM and PPM.
_FIELD = rb"\s+(?:#[^\n]*\n\s*)*\d+"
_NETPBM_AT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*P(?:(?P<bits>1)%s%s\s+[01]|(?P<raw_bits>4)%s%s\s|(?P<levels>[2356])%s%s%s\s)"
    % ((_FIELD,) * 7)
)
# Starts with the literal "P", which the regular expression engine finds quickly; that the
# magic number starts a line is checked on each match.
_NETPBM = re.compile(rb"P(?P<magic>[1-6])[ \t]*\r?\n(?:#[^\n]*\n)*[ \t]*\d+[ \t]+\d+[ \t]*\r?\n")
_NETPBM_MAXVAL = re.compile(rb"(?:#[^\n]*\n)*[ \t]*\d+[ \t]*\r?\n")
_PAM = re.compile(rb"(?m)^P7[ \t]*\r?\n(?:[^\n]*\n){0,20}?ENDHDR")
_XPM = re.compile(
    rb"/\*\s*XPM\s*\*/|(?m:^!\s*XPM2\b)"
    rb'|static\s+(?:const\s+)?char\s*\*\s*(?:const\s+)?\w+\s*\[\s*\]\s*=\s*\{\s*"\s*\d+\s+\d+\s+\d+\s+\d+'
)
_XBM = re.compile(
    rb"#define[ \t]+\w*_width[ \t]+\d+[ \t]*\r?\n\s*#define[ \t]+\w*_height[ \t]+\d+"
    rb"|_bits\s*\[\s*\]\s*=\s*\{"
)
_TEXT_IMAGES = (
    (_XPM, b"XPM", "an XPM image"),
    (_XPM, b"static", "an XPM image"),
    (_XBM, b"_", "an XBM image"),
    (_PAM, b"ENDHDR", "a PAM image"),
)
_HEX_ONLY = re.compile(rb"[0-9A-Fa-f\r\n]+")
_UUENCODE = re.compile(rb"(?m)^begin[ \t]+[0-7]{3,4}[ \t]+\S[^\n]*\r?\nM[\x20-\x60]{60}\r?$")


class TextScanner:
    """Fed the text's bytes chunk by chunk (already checked to be UTF-8); raises UploadRefused."""

    def __init__(self) -> None:
        self._tail = b""
        self._tail_offset = 0  # position of the tail's first byte in the file
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._started = False

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        # Small chunks are gathered first, so the overlap is not scanned again for each of them.
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        if self._pending_size < SCAN_BYTES and not final:
            return
        chunk = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        window = self._tail + chunk
        if not self._started and window:
            self._started = True
            found = _NETPBM_AT_START.match(window)
            if found is not None:
                magic = found["bits"] or found["raw_bits"] or found["levels"]
                _refuse_text_image(_netpbm_name(magic), found.start(found.lastgroup) - 1)
        self._scan(window, self._tail_offset, final=final)
        keep = window[-OVERLAP:]
        self._tail_offset += len(window) - len(keep)
        self._tail = keep

    def _scan(self, window: bytes, base: int, *, final: bool) -> None:
        # A match that touches the end of a chunk may be the start of something longer (<scripture);
        # the overlap sees it again, whole, with the next chunk.
        end = len(window) if final else len(window) - 1
        if b"<" in window:
            for found in _MARKUP.finditer(window):
                if found.end() <= end:
                    _refuse_markup(found, base)
            for found in _HANDLER.finditer(window):
                tag = _OPEN_TAG.search(window, max(0, found.start() - _TAG_REACH), found.start() + 1)
                if tag is not None and found.end() <= end:
                    _refuse_handler(window[tag.start() : found.end()], base + tag.start())
        found = _DATA_IMAGE.search(window) if b"data:" in window.lower() else None
        if found is not None:
            offset = base + found.start()
            raise UploadRefused(
                f"This file contains an embedded image (a “data:image” address at byte {offset:,}). "
                f"{DESCRIBE_NOT_DEPICT}"
            )
        # Each pattern below needs a word that bytes.find can rule out far faster than the pattern.
        for pattern, clue, name in _TEXT_IMAGES:
            found = pattern.search(window) if clue in window else None
            if found is not None:
                _refuse_text_image(name, base + found.start())
        for found in _NETPBM.finditer(window):
            if found.start() > 0 and window[found.start() - 1] != 0x0A:
                continue  # the magic number must start a line
            magic = found["magic"]
            if magic in (b"1", b"4") or _NETPBM_MAXVAL.match(window, found.end()):
                _refuse_text_image(_netpbm_name(magic), base + found.start())
        found = _UUENCODE.search(window) if b"begin" in window else None
        if found is not None:
            raise UploadRefused(
                f"This file contains a uuencoded file (at byte {base + found.start():,}), which is not "
                "accepted: evidence is a document, not a container for other files."
            )
        encoded = find_encoded_file(window)
        if encoded is not None:
            hidden, encoding, offset = encoded
            _refuse_encoded(hidden, encoding, base + offset)


def find_encoded_file(data: bytes) -> tuple[Hidden, str, int] | None:
    """A file written into text as base64 or hex digits: (what it is, the encoding, its offset)."""
    # Most text has no run of 32 base64 characters at all: mapping every such character to
    # "a" and looking for 32 of them in a row rules that out at memory speed.
    if _RUN_OF_32 not in data.translate(_BASE64_CLASS):
        return None
    for found in _BASE64_RUN.finditer(data):
        run = found.group()
        # Hex digits alone are hashes and hex dumps, decoded as hex below; a base64 encoding of
        # a real file uses the rest of the alphabet within its first few characters.
        if len(run) >= _BASE64_MIN and not _HEX_ONLY.fullmatch(run):
            hidden = find_hidden_in_any(_decode_base64_heads(run))
            if hidden is not None:
                return hidden, "base64", found.start()
    if _RUN_OF_32 not in data.translate(_HEX_CLASS):
        return None
    for found in _HEX_RUN.finditer(data):
        if found.end() - found.start() >= _HEX_MIN:
            hidden = find_hidden_in_any(_decode_hex_head(found.group()))
            if hidden is not None:
                return hidden, "hex digits", found.start()
    return None


def _refuse_markup(found: re.Match, base: int) -> None:
    text = found.group().decode("ascii", errors="replace")
    name = (found["tag"] or found["declaration"]).decode("ascii").lower()
    _refuse_active(f"{_MARKUP_LABELS.get(name, 'HTML')} markup (“{text}”", base + found.start())


def _refuse_handler(tag: bytes, offset: int) -> None:
    text = tag.decode("utf-8", errors="replace")
    shown = text if len(text) <= 60 else f"{text[:30]} … {text[-25:]}"
    _refuse_active(f"an HTML tag with an event handler (“{shown}”", offset)


def _refuse_active(what: str, offset: int) -> None:
    raise UploadRefused(
        f"This file contains {what} at byte {offset:,}), which a browser would run or draw; text "
        "evidence must be plain text. Remove the markup, or write the tag in words (for example "
        "“the svg tag”), and upload the file again."
    )


def _refuse_text_image(name: str, offset: int) -> None:
    raise UploadRefused(f"This file is {name} written as text (at byte {offset:,}). {DESCRIBE_NOT_DEPICT}")


def _netpbm_name(magic: bytes) -> str:
    kind = {b"1": "PBM", b"4": "PBM", b"2": "PGM", b"5": "PGM", b"3": "PPM", b"6": "PPM"}[magic]
    return f"a {kind} image"


def _decode_base64_heads(run: bytes) -> list[bytes]:
    # The run may start with a few characters that are not part of the encoded file; each of
    # the four alignments is tried, so such a prefix does not hide the file's signature.
    head = run[: _RUN_HEAD_CHARS + 3].translate(_URL_SAFE, b"\r\n=")
    decoded = []
    for shift in range(4):
        part = head[shift:]
        part = part[: len(part) // 4 * 4]
        try:
            decoded.append(binascii.a2b_base64(part))
        except binascii.Error:
            continue
    return decoded


def _decode_hex_head(run: bytes) -> list[bytes]:
    head = run[:_RUN_HEAD_CHARS].translate(None, b"\r\n")
    return [bytes.fromhex(head[: len(head) // 2 * 2].decode("ascii"))]


def _refuse_encoded(hidden: Hidden, encoding: str, offset: int) -> None:
    if hidden.is_image:
        raise UploadRefused(
            f"This file contains {hidden.what} encoded as {encoding} (at byte {offset:,}). "
            f"{DESCRIBE_NOT_DEPICT}"
        )
    raise UploadRefused(
        f"This file contains {hidden.what} encoded as {encoding} (at byte {offset:,}), which is "
        "not accepted: evidence is a document, not a container for other files."
    )
