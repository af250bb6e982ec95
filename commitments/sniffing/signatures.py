"""Recognising other file formats: a whole upload, or one hidden inside an accepted one.

Two questions are asked of bytes here. `describe_upload` names what a refused upload is (from
its first bytes), so the refusal can say "an image (JPEG)". `find_hidden` looks inside data an
accepted format carries (a PDF stream, a base64 run in a text file) for a file of another
kind: at its start with filetype's signatures, and anywhere with signatures long enough that
ordinary compressed data or text does not contain them by chance.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import filetype
from filetype.types import APPLICATION, ARCHIVE, AUDIO, DOCUMENT, FONT, IMAGE, VIDEO

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

OFFICE = "an office document"
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
    "rtf": OFFICE,
    "deb": "a software package",
    "rpm": "a software package",
    "epub": "an e-book",
    "dcm": "a medical image",
    "pdf": "a PDF document",
}
_FILETYPE_GROUPS = (
    (IMAGE, "an image"),
    (VIDEO, "a video"),
    (AUDIO, "an audio file"),
    (FONT, "a font file"),
    (DOCUMENT, OFFICE),
    (APPLICATION, "an executable program"),
    (ARCHIVE, "a compressed archive"),
)

# Signatures checked at the start of data found inside a document (a PDF stream, a decoded
# base64 run). filetype's own list is not used there: its checks are Python functions, too slow
# for thousands of small pieces, and some are two or three bytes ("MZ", "BM", an MP3 frame sync)
# that compressed data contains by chance. PostScript is left out because Type 1 fonts in PDFs
# begin with "%!PS-AdobeFont"; fonts are what a PDF is expected to carry.
_START_ONLY = (
    (rb"\xff\xd8\xff", "an image (JPEG)", True),
    (rb"II\*\x00|MM\x00\*", "an image (TIFF)", True),
    (rb"\xff\x4f\xff\x51", "an image (JPEG 2000)", True),
    (rb"gimp xcf ", "an image (XCF)", True),
    (rb"\x00\x00\x01\x00[\x01-\x20]\x00", "an image (ICO)", True),
    (rb"BM.{4}\x00\x00\x00\x00", "an image (BMP)", True),
    (rb"FORM.{4}AIFF", "an audio file (AIFF)", False),
    (rb"#!AMR", "an audio file (AMR)", False),
    (rb"\x1a\x45\xdf\xa3", "a video (Matroska or WebM)", False),
    (rb"\x1f\x8b\x08", "a compressed archive (gzip)", False),
    (rb"BZh[1-9]", "a compressed archive (bzip2)", False),
    (rb"\x28\xb5\x2f\xfd", "a compressed archive (Zstandard)", False),
    (rb"\x04\x22\x4d\x18", "a compressed archive (LZ4)", False),
    (rb"MSCF\x00\x00\x00\x00", "a compressed archive (CAB)", False),
    (rb"!<arch>\n", "a compressed archive (Unix ar)", False),
    (rb"\xed\xab\xee\xdb", "a software package (RPM)", False),
    (rb"LZIP", "a compressed archive (LZIP)", False),
    (rb".{257}ustar", "a compressed archive (TAR)", False),
    (rb".{128}DICM", "a medical image (DICOM)", True),
    (rb"%PDF-", "a PDF document", False),
    (rb"\{\\rtf", f"{OFFICE} (RTF)", False),
    (rb"[FCZ]WS[\x01-\x30]", "a Flash file (SWF)", False),
    (rb"NES\x1a", "a game ROM (NES)", False),
    (rb"Cr24", "a browser extension (CRX)", False),
    (rb"\xfe\xed\xfa[\xce\xcf]|[\xce\xcf]\xfa\xed\xfe", "an executable program (Mach-O)", False),
    (rb"\xca\xfe\xba\xbe", "an executable program (Mach-O universal or Java class)", False),
    (rb"dex\n0[0-9][0-9]\x00", "an executable program (Android DEX)", False),
)

# Signatures of eight bytes or more (or shorter ones with fixed fields after them), searched for
# anywhere: a file hidden after some padding is still that file to anyone who cuts it out. Each
# is (a literal that bytes.find looks for, how far the signature starts before it, the pattern
# that confirms it there, what it is, whether it is an image). bytes.find runs at memory speed;
# one regular expression with all of them as alternatives is a hundred times slower.
_ANYWHERE = tuple(
    (literal, back, re.compile(pattern, re.DOTALL), what, is_image)
    for literal, back, pattern, what, is_image in (
        (b"\x89PNG", 0, rb"\x89PNG\r\n\x1a\n", "an image (PNG)", True),
        (
            b"\xff\xd8\xff",
            0,
            rb"\xff\xd8\xff(?:\xe0..JFIF\x00|\xe1..Exif\x00|\xdb\x00[\x43\x84\xc5]|\xee\x00\x0eAdobe|\xe2..ICC_PROFILE)",
            "an image (JPEG)",
            True,
        ),
        (b"GIF8", 0, rb"GIF8[79]a", "an image (GIF)", True),
        (b"RIFF", 0, rb"RIFF.{4}WEBPVP8[ LX]", "an image (WEBP)", True),
        (b"jP  ", 4, rb"\x00\x00\x00\x0cjP  \r\n\x87\n", "an image (JPEG 2000)", True),
        (
            b"ftyp",
            4,
            rb"\x00\x00\x00[\x10-\x40]ftyp(?:heic|heix|hevc|mif1|msf1|avif|avis)",
            "an image (HEIC or AVIF)",
            True,
        ),
        (
            b"BM",
            0,
            rb"BM.{4}\x00\x00\x00\x00.\x00\x00\x00[\x0c\x28\x38\x40\x6c\x7c]\x00\x00\x00",
            "an image (BMP)",
            True,
        ),
        (b"8BPS", 0, rb"8BPS\x00[\x01\x02]\x00{6}", "an image (Photoshop)", True),
        (
            b"ftyp",
            4,
            rb"\x00\x00\x00[\x10-\x40]ftyp(?:isom|iso[2-6]|mp41|mp42|avc1|M4V |qt  |3gp[4-6]|dash)",
            "a video (MP4)",
            False,
        ),
        (b"RIFF", 0, rb"RIFF.{4}AVI ", "a video (AVI)", False),
        (
            b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",
            0,
            rb"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c",
            "a video (WMV)",
            False,
        ),
        (b"FLV\x01", 0, rb"FLV\x01[\x01\x04\x05]\x00\x00\x00\x09", "a video (FLV)", False),
        (
            b"\x1a\x45\xdf\xa3",
            0,
            rb"\x1a\x45\xdf\xa3.{0,40}?\x42\x82[\x84\x88](?:webm|matroska)",
            "a video (Matroska or WebM)",
            False,
        ),
        (b"RIFF", 0, rb"RIFF.{4}WAVE", "an audio file (WAV)", False),
        (b"OggS", 0, rb"OggS\x00[\x00-\x07]", "an audio or video file (Ogg)", False),
        (b"fLaC", 0, rb"fLaC\x00\x00\x00\x22", "an audio file (FLAC)", False),
        (b"ID3", 0, rb"ID3[\x02-\x04]\x00", "an audio file (MP3)", False),
        (b"MThd", 0, rb"MThd\x00\x00\x00\x06", "an audio file (MIDI)", False),
        (b"PK\x03\x04", 0, rb"PK\x03\x04[\x0a-\x3f]\x00", "a compressed archive (ZIP)", False),
        (b"7z\xbc\xaf\x27\x1c", 0, rb"7z\xbc\xaf\x27\x1c", "a compressed archive (7-Zip)", False),
        (b"Rar!\x1a\x07", 0, rb"Rar!\x1a\x07[\x00\x01]", "a compressed archive (RAR)", False),
        (b"\xfd7zXZ\x00", 0, rb"\xfd7zXZ\x00", "a compressed archive (XZ)", False),
        (b"1AY&SY", 4, rb"BZh[1-9]1AY&SY", "a compressed archive (bzip2)", False),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            0,
            rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            f"{OFFICE} (OLE)",
            False,
        ),
        (b"SQLite format 3\x00", 0, rb"SQLite format 3\x00", "a database file (SQLite)", False),
        (b"\x7fELF", 0, rb"\x7fELF[\x01\x02][\x01\x02]\x01", "an executable program (ELF)", False),
        (b"PE\x00\x00", 0, rb"PE\x00\x00(?:L\x01|d\x86|d\xaa)", "an executable program (Windows PE)", False),
        (
            b"\x00asm\x01\x00\x00\x00",
            0,
            rb"\x00asm\x01\x00\x00\x00",
            "an executable program (WebAssembly)",
            False,
        ),
    )
)


@dataclass(frozen=True)
class Hidden:
    """A file of another kind found inside data, `offset` bytes in."""

    what: str  # "an image (PNG)"
    offset: int
    is_image: bool


def describe_upload(head: bytes) -> str | None:
    """What a whole upload is, named for a refusal ("an image (PNG)"), or None if unknown."""
    for signature, label in _EXECUTABLE_SIGNATURES:
        if head.startswith(signature):
            return f"an executable program ({label})"
    kind = filetype.guess(head)
    return None if kind is None else describe_filetype(kind)


def describe_filetype(kind: filetype.Type) -> str:
    label = _FILETYPE_LABELS.get(kind.extension, kind.extension.upper())
    what = _FILETYPE_KINDS.get(kind.extension)
    if what is None:
        what = next(
            (name for group, name in _FILETYPE_GROUPS if isinstance(kind, tuple(type(t) for t in group))),
            "a binary file",
        )
    return f"{what} ({label})"


def find_hidden(data: bytes, *, images: bool = True, start: int = 0) -> Hidden | None:
    """The first file of another kind inside `data` (at its start, or anywhere for strong
    signatures); images are skipped when `images` is False (the operator allowed them).
    `start` is where `data` begins in the file, for the offset reported."""
    at_start = _at_start(data)
    if at_start is not None and (images or not at_start.is_image):
        return Hidden(at_start.what, start, at_start.is_image)
    return _anywhere(data, images=images, start=start)


def find_hidden_in_any(candidates: list[bytes]) -> Hidden | None:
    """A file of another kind starting any of `candidates` (the decodings of one text run).

    Only the start is looked at: text carries an encoded file from its first byte (a data:
    address, a MIME part, a JSON field), and there are often thousands of runs to check. A file
    deliberately hidden behind junk bytes is obfuscated, like one XORed with a key, and no
    signature check finds those."""
    for candidate in candidates:
        found = _at_start(candidate)
        if found is not None:
            return found
    return None


# Every signature, as one anchored alternation: matching at the start of a piece of data is
# a single call, however many signatures there are.
_KINDS = [(what, is_image) for _, what, is_image in _START_ONLY] + [
    (what, is_image) for _, _, _, what, is_image in _ANYWHERE
]
_AT_START = re.compile(
    b"|".join(
        b"(?P<s%d>%s)" % (index, pattern)
        for index, pattern in enumerate(
            [pattern for pattern, _, _ in _START_ONLY]
            + [compiled.pattern for _, _, compiled, _, _ in _ANYWHERE]
        )
    ),
    re.DOTALL,
)


def _at_start(data: bytes) -> Hidden | None:
    if _is_windows_pe(data):
        return Hidden("an executable program (Windows PE)", 0, False)
    found = _AT_START.match(data)
    if found is None:
        return None
    what, is_image = _KINDS[int(found.lastgroup[1:])]
    return Hidden(what, 0, is_image)


def _anywhere(data: bytes, *, images: bool, start: int) -> Hidden | None:
    first: Hidden | None = None
    for literal, back, pattern, what, is_image in _ANYWHERE:
        if is_image and not images:
            continue
        position = data.find(literal, back)
        # Only a signature that starts before the first one found so far can change the answer.
        limit = len(data) if first is None else first.offset - start + back
        while position != -1 and position <= limit:
            if pattern.match(data, position - back):
                first = Hidden(what, start + position - back, is_image)
                break
            position = data.find(literal, position + 1)
    return first


def _is_windows_pe(data: bytes) -> bool:
    if not data.startswith(b"MZ") or len(data) < 64:
        return False
    (offset,) = struct.unpack_from("<I", data, 0x3C)
    return data[offset : offset + 4] == b"PE\x00\x00"
