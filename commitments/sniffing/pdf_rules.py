"""What in a PDF is refused: the names that give active content away, image codecs, inline
images and fonts whose glyphs are pictures. commitments.sniffing.pdf applies these rules to
every dictionary and stream it reads.
"""

from __future__ import annotations

import re
import struct

# What is refused, by the name that gives it away. Names are compared after #xx escapes are
# decoded, so /J#61vaScript is /JavaScript.
ACTIVE_KEYS = {
    "JS": "JavaScript",
    "JavaScript": "JavaScript",
    "AA": "actions that run when something happens in the document (/AA)",
    "EmbeddedFiles": "embedded files",
    "EF": "an embedded file",
    "XFA": "an XFA form",
    "RichMediaContent": "rich media (video, sound or Flash)",
    "RichMediaSettings": "rich media (video, sound or Flash)",
    "3DD": "a 3D model",
}
ACTIVE_ACTIONS = {
    "JavaScript": "JavaScript",
    "Launch": "an action that launches a program or opens another file (/Launch)",
    "GoToR": "a link that opens another file (/GoToR)",
    "GoToE": "a link into an embedded file (/GoToE)",
    "SubmitForm": "a form that sends data (/SubmitForm)",
    "ImportData": "a form that imports data (/ImportData)",
    "Rendition": "a media action (/Rendition)",
    "Movie": "a movie action",
    "Sound": "a sound action",
    "RichMediaExecute": "rich media (video, sound or Flash)",
    "GoTo3DView": "a 3D model",
}
ACTIVE_SUBTYPES = {
    "FileAttachment": "an embedded file (a file attachment annotation)",
    "RichMedia": "rich media (video, sound or Flash)",
    "Sound": "a sound",
    "Movie": "a movie",
    "Screen": "a media player (a screen annotation)",
    "3D": "a 3D model",
}
# Keys whose values the check looks at; a value given by reference is looked at once resolved.
CHECKED_VALUES = frozenset({"S", "Subtype", "Type", "Filter", "URI", "OpenAction", "Contents"})
URI_SCHEMES_REFUSED = (b"javascript:", b"vbscript:", b"data:", b"file:")
IMAGE_FILTERS = {
    "DCTDecode": "JPEG",
    "DCT": "JPEG",
    "JPXDecode": "JPEG 2000",
    "JBIG2Decode": "JBIG2",
    "CCITTFaxDecode": "CCITT fax",
    "CCF": "CCITT fax",
}

# An inline image is "BI <image dictionary> ID <data> EI" in a content stream. BI and ID must
# be tokens of their own; ID must follow BI closely.
_INLINE_BEGIN = re.compile(rb"(?<![^\x00\t\n\x0c\r \]\)>}])BI(?=[\x00\t\n\x0c\r /])")
_INLINE_DATA = re.compile(rb"(?<![^\x00\t\n\x0c\r \]\)>}])ID[\x00\t\n\x0c\r ]")
_INLINE_DICT_MAX = 4096
_SFNT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"typ1")
# Tables that hold glyphs as pictures (colour emoji and the like): PNG or JPEG images, or SVG.
_BITMAP_FONT_TABLES = {b"sbix": "sbix", b"CBDT": "CBDT", b"EBDT": "EBDT", b"bdat": "bdat", b"SVG ": "SVG"}


def inline_image(content: bytes) -> int | None:
    for begin in _INLINE_BEGIN.finditer(content):
        if _INLINE_DATA.search(content, begin.end(), begin.end() + _INLINE_DICT_MAX):
            return begin.start()
    return None


def bitmap_font_table(data: bytes) -> str | None:
    """The bitmap or SVG glyph table of a TrueType/OpenType font program, if it has one."""
    head = data[:4]
    if head == b"ttcf" and len(data) >= 12:
        (fonts,) = struct.unpack_from(">I", data, 8)
        offsets = [
            struct.unpack_from(">I", data, 12 + 4 * i)[0]
            for i in range(min(fonts, 64))
            if 16 + 4 * i <= len(data)
        ]
    elif head in _SFNT_MAGIC:
        offsets = [0]
    else:
        return None
    for offset in offsets:
        if offset + 6 > len(data):
            continue
        (tables,) = struct.unpack_from(">H", data, offset + 4)
        for index in range(tables):
            record = offset + 12 + 16 * index
            tag = bytes(data[record : record + 4])
            if tag in _BITMAP_FONT_TABLES:
                return _BITMAP_FONT_TABLES[tag]
    return None
