"""PDF evidence, judged by its whole content.

A PDF is accepted only when two readers agree that it is a plain document:

1. This module's own reader walks every byte of the file as PDF syntax: each object (whether
   the cross-reference table lists it or not, so an orphan object is seen too), every object
   stream, the cross-reference sections and trailers. Bytes that are not PDF syntax, such as a
   file appended after the end or hidden between objects, are refused. Every dictionary is
   checked for active content (JavaScript, Launch, actions run on opening, embedded files,
   XFA, rich media) and, unless the operator allows them, raster images; every stream is
   decoded (within limits, so a decompression bomb is refused rather than expanded) and
   searched for files of other formats, inline images and bitmap fonts.
2. pypdf must open it, find its pages, and find each object where the first reader found it,
   so the file cannot say one thing to this check and another to a PDF viewer.

Any failure of either reader becomes an UploadRefused with a message for the person uploading;
nothing the file contains can raise anything else out of `check_pdf`.

Why one module of ~600 lines: the walk over the file is one pass whose steps share the reader's
position and limits; split further, an auditor would have to follow the pass across files.
(The syntax it reads is in pdf_syntax.py and what it refuses in pdf_rules.py.)
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NoReturn

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, FlateDecode, LZWDecode, RunLengthDecode

from commitments.errors import UploadRefused
from commitments.sniffing.common import DESCRIBE_NOT_DEPICT
from commitments.sniffing.pdf_rules import (
    ACTIVE_ACTIONS,
    ACTIVE_KEYS,
    ACTIVE_SUBTYPES,
    CHECKED_VALUES,
    IMAGE_FILTERS,
    URI_SCHEMES_REFUSED,
    bitmap_font_table,
    inline_image,
)
from commitments.sniffing.pdf_syntax import TOKEN, Name, NotReadable, Ref, Syntax, TooComplex, printable
from commitments.sniffing.signatures import Hidden, find_hidden
from commitments.sniffing.text import find_encoded_file

# Bounds that keep checking one upload to seconds and to tens of megabytes of memory.
MAX_OBJECTS = 200_000
MAX_STREAM_DECODED_BYTES = 32 * 1024 * 1024
MAX_TOTAL_DECODED_BYTES = 256 * 1024 * 1024
MAX_COMMENT_BYTES = 1024
_ZLIB_RECOVERY_BYTES = 64 * 1024
_STRING_CHECK_BYTES = 64  # shorter strings cannot hold a file worth hiding


_OBJECT_HEADER = re.compile(
    rb"(\d{1,10})[\x00\t\n\x0c\r ]+(\d{1,5})[\x00\t\n\x0c\r ]+obj(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_HEADER = re.compile(rb"%PDF-\d\.\d")
_XREF_SUBSECTION = re.compile(rb"[\x00\t\n\x0c\r ]*+(\d{1,10})[ ]++(\d{1,10})[\x00\t\x0c ]*+(?:\r\n?|\n)")
_XREF_ENTRY = re.compile(rb"[\x00\t\n\x0c\r ]*+\d{1,10}[ ]++\d{1,5}[ ]++[nf](?![^\x00\t\n\x0c\r ])")
_ENDSTREAM = re.compile(rb"[\x00\t\n\x0c\r ]{0,4}endstream(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")
_STRAY_AFTER_EOF = re.compile(rb"[^\x00\t\n\x0c\r ]")

_DECODERS: dict[str, Callable[[bytes, dict], bytes]] = {
    "FlateDecode": FlateDecode.decode,
    "Fl": FlateDecode.decode,
    "LZWDecode": LZWDecode.decode,
    "LZW": LZWDecode.decode,
    "ASCIIHexDecode": lambda data, _parms: ASCIIHexDecode.decode(data),
    "AHx": lambda data, _parms: ASCIIHexDecode.decode(data),
    "ASCII85Decode": lambda data, _parms: ASCII85Decode.decode(data),
    "A85": lambda data, _parms: ASCII85Decode.decode(data),
    "RunLengthDecode": lambda data, _parms: RunLengthDecode.decode(data),
    "RL": lambda data, _parms: RunLengthDecode.decode(data),
}
_ENCRYPTED = (
    "This PDF is encrypted (password-protected or restricted), so its content cannot be checked. "
    "Save or print it as a new PDF without protection and upload that."
)
_ACTIVE_ADVICE = (
    "which is not accepted: evidence must be a plain document that runs nothing. Export it again "
    "as a plain PDF (for example with “Print to PDF”) and upload that."
)


@dataclass
class _Stream:
    num: int
    gen: int
    info: dict
    start: int
    end: int
    length_ref: Ref | None = None


@dataclass
class _Found:
    """What the first reader found, for the second reader's cross-check."""

    headers: dict[int, tuple[int, int]] = field(default_factory=dict)  # offset → (num, gen)
    in_object_streams: set[tuple[int, int]] = field(default_factory=set)  # (stream num, num)


def check_pdf(reopen: Callable[[], BinaryIO], *, images_allowed: bool) -> None:
    """Raise UploadRefused unless the whole file is a plain PDF document."""
    try:
        with reopen() as handle, _mapped(handle) as data:
            checker = _PdfCheck(data, images_allowed=images_allowed)
            checker.run()
            _check_with_pypdf(handle, data, checker.found)
    except UploadRefused:
        raise
    except (TooComplex, LimitReachedError, RecursionError, MemoryError) as exc:
        raise UploadRefused(
            f"This PDF is too complex to check ({_short(exc) or 'it goes past the checker’s limits'}). "
            "Export a simpler version (for example with “Print to PDF”) and upload that."
        ) from None
    except Exception as exc:
        # Whatever a hostile file makes a parser raise, the person gets a refusal, never an error page.
        detail = _short(exc) if isinstance(exc, NotReadable) else "it could not be parsed"
        raise UploadRefused(
            f"This file starts like a PDF but is not a readable PDF ({detail}). Export it again from "
            "the application that made it, or upload its content as text."
        ) from None


@contextmanager
def _mapped(handle: BinaryIO) -> Iterator[Any]:
    """The file's bytes, mapped rather than read where the file system allows it."""
    try:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError):
        handle.seek(0)
        yield handle.read()
        return
    try:
        yield mapping
    finally:
        mapping.close()


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if len(text) <= 160 else text[:157] + "…"


# --- the first reader: every byte of the file -------------------------------------------------------


class _PdfCheck:
    def __init__(self, data: Any, *, images_allowed: bool):
        self.data = data
        self.images_allowed = images_allowed
        self.syntax = Syntax(data, self)
        self.objects: dict[Ref, list] = {}  # every definition of each object, in file order
        self.streams: list[_Stream] = []
        # Values given by reference (/S 9 0 R), checked once every object has been read.
        self.indirect: list[tuple[Name, Ref, str]] = []
        self.content_arrays: list[tuple[list, str]] = []
        self.found = _Found()
        self.decoded_total = 0
        self.object_count = 0

    # Refusals.

    def refuse_active(self, what: str, where: str) -> NoReturn:
        raise UploadRefused(f"This PDF contains {what} ({where}), {_ACTIVE_ADVICE}")

    def refuse_image(self, what: str, where: str) -> NoReturn:
        raise UploadRefused(f"This PDF contains {what} ({where}). {DESCRIBE_NOT_DEPICT}")

    def refuse_hidden(self, hidden: Hidden, where: str) -> NoReturn:
        if hidden.is_image:
            self.refuse_image(f"{hidden.what} hidden in its data", where)
        raise UploadRefused(
            f"This PDF hides {hidden.what} inside it ({where}), which is not accepted: evidence is "
            "a document, not a container for other files."
        )

    # Callbacks from _Syntax as values close.

    def dictionary(self, pairs: list[tuple[Name, Any]], where: str) -> None:
        for key, value in pairs:
            if isinstance(value, Ref) and key in CHECKED_VALUES:
                self.indirect.append((key, value, where))
            if key in ACTIVE_KEYS:
                self.refuse_active(ACTIVE_KEYS[key], where)
            if type(value) is Name:
                if key == "S" and value in ACTIVE_ACTIONS:
                    self.refuse_active(ACTIVE_ACTIONS[value], where)
                if key == "Subtype" and value in ACTIVE_SUBTYPES:
                    self.refuse_active(ACTIVE_SUBTYPES[value], where)
                if key == "Type" and value == "EmbeddedFile":
                    self.refuse_active("an embedded file", where)
                if key == "Subtype" and value == "Image" and not self.images_allowed:
                    self.refuse_image("a raster image", where)
            if key == "OpenAction":
                # A destination (which page to show first) is harmless; an action is not.
                if isinstance(value, dict):
                    self.refuse_active("an action that runs when the document is opened (/OpenAction)", where)
            elif key == "URI" and isinstance(value, bytes):
                scheme = value.strip(b"\x00\t\n\x0c\r ").lower()
                if scheme.startswith(URI_SCHEMES_REFUSED):
                    self.refuse_active(f"a link to a “{printable(scheme.split(b':')[0])}:” address", where)
            elif key == "Encrypt":
                raise UploadRefused(_ENCRYPTED)
            elif not self.images_allowed:
                if key == "Thumb":
                    self.refuse_image("a page thumbnail image", where)
                if key == "Filter" and self._image_filter(value) is not None:
                    self.refuse_image(f"an image compressed as {self._image_filter(value)}", where)
            if key == "Contents" and isinstance(value, list):
                self.content_arrays.append((value, where))

    def string(self, value: bytes, where: str) -> None:
        if len(value) >= _STRING_CHECK_BYTES:
            hidden = find_hidden(value, images=not self.images_allowed)
            if hidden is not None:
                self.refuse_hidden(hidden, f"in a string in {where}")

    @staticmethod
    def _image_filter(value: Any) -> str | None:
        names = value if isinstance(value, list) else [value]
        return next(
            (IMAGE_FILTERS[name] for name in names if type(name) is Name and name in IMAGE_FILTERS), None
        )

    # The walk.

    def run(self) -> None:
        data = self.data
        if not _HEADER.match(data):
            raise NotReadable("its header is not “%PDF-” and a version number")
        self._check_end()
        pos = 0
        while True:
            found = self.syntax.token(pos)
            kind = found.lastgroup
            if kind is None:
                break
            start = found.start(kind)
            if kind == "comment":
                self._comment(found.group(kind), start)
                pos = found.end()
            elif kind == "word" and found.group(kind).isdigit():
                pos = self._object(start)
            elif kind == "word" and found.group(kind) == b"xref":
                pos = self._xref(found.end())
            elif kind == "word" and found.group(kind) == b"trailer":
                _, pos, _ = self.syntax.values(found.end(), where="the trailer", count=1)
            elif kind == "word" and found.group(kind) == b"startxref":
                pos = self._startxref(found.end())
            else:
                self._stray(start)
        # Object streams first: the objects inside them are checked like any other, and may hold
        # the lengths and filters of other streams.
        object_streams: list[_Stream] = []
        others: list[_Stream] = []
        for stream in self.streams:
            (object_streams if self._resolved(stream.info.get("Type")) == "ObjStm" else others).append(stream)
        for group in (object_streams, others):
            self._resolve_lengths(group)
            for stream in group:
                self._stream(stream)
        self._check_indirect_values()
        if not self.images_allowed:
            self._check_joined_contents()

    def _check_end(self) -> None:
        data = self.data
        end = data.rfind(b"%%EOF")
        if end == -1:
            raise NotReadable("it has no end-of-file marker (%%EOF); it may be cut short")
        stray = _STRAY_AFTER_EOF.search(data, end + 5)
        if stray is not None:
            hidden = find_hidden(data[stray.start() : stray.start() + 64 * 1024])
            what = "" if hidden is None else f", and that data is {hidden.what}"
            raise UploadRefused(
                f"This PDF has data after its end (from byte {stray.start():,}, after its last %%EOF "
                f"marker){what}. Export it again from the application that made it."
            )

    def _stray(self, start: int) -> NoReturn:
        hidden = find_hidden(self.data[start : start + 64 * 1024])
        if hidden is not None:
            self.refuse_hidden(hidden, f"outside its objects, at byte {start:,}")
        raise NotReadable(f"it contains data that is not part of the document at byte {start:,}")

    def _comment(self, comment: bytes, start: int) -> None:
        if len(comment) > MAX_COMMENT_BYTES:
            hidden = find_hidden(comment, images=not self.images_allowed)
            if hidden is not None:
                self.refuse_hidden(hidden, f"in a comment at byte {start:,}")
            raise NotReadable(f"a comment at byte {start:,} is longer than {MAX_COMMENT_BYTES:,} bytes")

    def _count_object(self) -> None:
        self.object_count += 1
        if self.object_count > MAX_OBJECTS:
            raise TooComplex(f"it has more than {MAX_OBJECTS:,} objects")

    def _object(self, start: int) -> int:
        header = _OBJECT_HEADER.match(self.data, start)
        if header is None:
            self._stray(start)
        self._count_object()
        num, gen = int(header.group(1)), int(header.group(2))
        where = f"object {num}"
        self.found.headers[start] = (num, gen)
        values, pos, keyword = self.syntax.values(
            header.end(), where=where, until=frozenset({b"endobj", b"stream"})
        )
        if len(values) != 1:
            raise NotReadable(f"{where} at byte {start:,} does not hold exactly one value")
        self.objects.setdefault(Ref(num, gen), []).append(values[0])
        if keyword == b"endobj":
            return pos
        info = values[0]
        if not isinstance(info, dict):
            raise NotReadable(f"the stream in {where} has no dictionary")
        pos = self._stream_data(num, gen, info, pos)
        rest, pos, keyword = self.syntax.values(pos, where=where, until=frozenset({b"endobj"}))
        if rest or keyword != b"endobj":
            raise NotReadable(f"{where} is not closed with endobj")
        return pos

    def _stream_data(self, num: int, gen: int, info: dict, pos: int) -> int:
        data = self.data
        if data[pos : pos + 2] == b"\r\n":
            start = pos + 2
        elif data[pos : pos + 1] in (b"\n", b"\r"):
            start = pos + 1
        else:
            raise NotReadable(f"the stream in object {num} does not start on a new line")
        length = info.get("Length")
        if type(length) is int:
            end = start + length
            closing = _ENDSTREAM.match(data, end) if length >= 0 and end <= len(data) else None
            if closing is None:
                raise NotReadable(f"the length of the stream in object {num} does not match its data")
            self.streams.append(_Stream(num, gen, info, start, end))
            return closing.end()
        if not isinstance(length, Ref):
            raise NotReadable(f"the stream in object {num} has no length")
        # The length is another object, perhaps further on: find the end now, compare later.
        closing = data.find(b"endstream", start)
        if closing == -1:
            raise NotReadable(f"the stream in object {num} is not closed")
        end = closing
        if data[end - 2 : end] == b"\r\n":
            end -= 2
        elif data[end - 1 : end] in (b"\n", b"\r"):
            end -= 1
        self.streams.append(_Stream(num, gen, info, start, max(end, start), length_ref=length))
        return closing + len(b"endstream")

    def _xref(self, pos: int) -> int:
        data = self.data
        while True:
            subsection = _XREF_SUBSECTION.match(data, pos)
            if subsection is None:
                return pos
            count = int(subsection.group(2))
            if count > (len(data) - subsection.end()) // 18 + 1:
                raise NotReadable("its cross-reference table is longer than the file")
            pos = subsection.end()
            for _ in range(count):
                entry = _XREF_ENTRY.match(data, pos)
                if entry is None:
                    raise NotReadable(f"its cross-reference table is malformed at byte {pos:,}")
                pos = entry.end()

    def _startxref(self, pos: int) -> int:
        found = self.syntax.token(pos)
        if found.lastgroup != "word" or not found.group("word").isdigit():
            raise NotReadable("“startxref” is not followed by a byte offset")
        return found.end()

    def _resolved(self, value: Any, *, hops: int = 0) -> Any:
        while isinstance(value, Ref):
            definitions = self.objects.get(value)
            hops += 1
            if not definitions or hops > 32:
                return None
            value = definitions[-1]
        return value

    def _resolve_lengths(self, streams: list[_Stream]) -> None:
        data = self.data
        for stream in streams:
            if stream.length_ref is None:
                continue
            length = self._resolved(stream.length_ref)
            if type(length) is not int or length < 0:
                raise NotReadable(f"the length of the stream in object {stream.num} is missing")
            # Where the viewer will think the data ends must be where this reader saw it end.
            if not (stream.end <= stream.start + length <= stream.end + 2) or not _ENDSTREAM.match(
                data, stream.start + length
            ):
                raise NotReadable(f"the length of the stream in object {stream.num} does not match its data")
            stream.end = stream.start + length

    def _check_indirect_values(self) -> None:
        # Every definition of the object counts: a viewer may pick another one than pypdf does.
        pending, self.indirect = self.indirect, []
        for _ in range(32):  # a reference to a reference…
            for key, ref, where in pending:
                for value in self.objects.get(ref, []):
                    self.dictionary([(key, value)], where)
            if not self.indirect:
                return
            pending, self.indirect = self.indirect, []

    # Streams.

    def _filters(self, info: dict) -> list[tuple[Any, dict]]:
        filters = self._resolved(info.get("Filter"))
        parms = self._resolved(info.get("DecodeParms"))
        filters = [] if filters is None else filters if isinstance(filters, list) else [filters]
        parms = parms if isinstance(parms, list) else [parms] * len(filters)
        resolved = []
        for index, name in enumerate(filters):
            name = self._resolved(name)
            parm = self._resolved(parms[index]) if index < len(parms) else None
            resolved.append((name, parm if isinstance(parm, dict) else {}))
        return resolved

    def _decode(self, raw: bytes, info: dict, where: str) -> bytes:
        """The stream's data with its filters undone, up to an image codec (images allowed)."""
        data = raw
        for name, parm in self._filters(info):
            if type(name) is not Name:
                raise NotReadable(f"the stream in {where} names its filter wrongly")
            if name in IMAGE_FILTERS:
                if not self.images_allowed:
                    self.refuse_image(f"an image compressed as {IMAGE_FILTERS[name]}", where)
                break
            if name == "Crypt":
                if parm.get("Name", "Identity") != "Identity":
                    raise UploadRefused(_ENCRYPTED)
                continue
            decoder = _DECODERS.get(name)
            if decoder is None:
                unknown = printable(name.encode("latin-1"))
                raise NotReadable(f"the stream in {where} uses an unknown compression ({unknown})")
            data = decoder(data, {f"/{key}": value for key, value in parm.items()})
            if len(data) > MAX_STREAM_DECODED_BYTES:
                raise TooComplex(f"the stream in {where} expands past {MAX_STREAM_DECODED_BYTES // 2**20} MB")
        self.decoded_total += len(data)
        if self.decoded_total > MAX_TOTAL_DECODED_BYTES:
            raise TooComplex(f"its streams expand past {MAX_TOTAL_DECODED_BYTES // 2**20} MB in total")
        return data

    def _stream(self, stream: _Stream) -> None:
        info = stream.info
        where = f"object {stream.num}"
        kind = self._resolved(info.get("Type"))
        is_image = self._resolved(info.get("Subtype")) == "Image" or (
            "Width" in info and "Height" in info and ("BitsPerComponent" in info or "ImageMask" in info)
        )
        if is_image and not self.images_allowed:
            self.refuse_image("a raster image", where)
        if "F" in info:
            self.refuse_active("a stream that reads its data from another file (/F)", where)
        decoded = self._decode(bytes(self.data[stream.start : stream.end]), info, where)
        if kind == "ObjStm":
            self._object_stream(stream, decoded)
            return
        if kind == "XRef":
            self._xref_stream(info, decoded, where)
            return
        # With images allowed, image data and a font's bitmap glyphs are expected; another kind
        # of file hidden in them is not.
        hidden = find_hidden(decoded, images=not self.images_allowed)
        if hidden is not None:
            self.refuse_hidden(hidden, f"in the stream of {where}")
        if kind == "Metadata":
            # XMP metadata is XML, where image editors keep a thumbnail as base64 text.
            encoded = find_encoded_file(decoded)
            if encoded is not None and not (encoded[0].is_image and self.images_allowed):
                hidden, encoding, _ = encoded
                self.refuse_hidden(hidden, f"encoded as {encoding} in the metadata of {where}")
        if self.images_allowed:
            return
        table = bitmap_font_table(decoded)
        if table is not None:
            self.refuse_image(f"a font whose glyphs are pictures (an {table} table)", where)
        offset = inline_image(decoded)
        if offset is not None:
            self.refuse_image(f"an inline image, at byte {offset:,} of its content", where)

    def _object_stream(self, stream: _Stream, decoded: bytes) -> None:
        count = self._resolved(stream.info.get("N"))
        first = self._resolved(stream.info.get("First"))
        where = f"object stream {stream.num}"
        if type(count) is not int or type(first) is not int or not 0 <= count <= MAX_OBJECTS or first < 0:
            raise NotReadable(f"{where} has no valid /N and /First")
        syntax = Syntax(decoded, self)
        numbers, pos, _ = syntax.values(0, where=where, count=2 * count)
        if len(numbers) != 2 * count or not all(type(n) is int and n >= 0 for n in numbers):
            raise NotReadable(f"the index of {where} is malformed")
        for num, offset in zip(numbers[::2], numbers[1::2], strict=True):
            self._count_object()
            start = first + offset
            # Nothing may sit between the objects of an object stream, as between the objects of the file.
            gap = syntax.token(pos)
            if start < pos or (gap.lastgroup not in (None, "comment") and gap.start(gap.lastgroup) < start):
                raise NotReadable(f"{where} has data between its objects")
            values, pos, _ = syntax.values(start, where=f"object {num} (in {where})", count=1)
            self.objects.setdefault(Ref(num, 0), []).append(values[0])
            self.found.in_object_streams.add((stream.num, num))
        tail = syntax.token(pos)
        if tail.lastgroup not in (None, "comment"):
            raise NotReadable(f"{where} has data after its last object")

    def _xref_stream(self, info: dict, decoded: bytes, where: str) -> None:
        widths = self._resolved(info.get("W"))
        size = self._resolved(info.get("Size"))
        index = self._resolved(info.get("Index")) or [0, size]
        if not isinstance(widths, list) or not all(type(w) is int and w >= 0 for w in widths):
            raise NotReadable(f"the cross-reference stream in {where} is malformed")
        if not isinstance(index, list) or not all(type(n) is int for n in index):
            raise NotReadable(f"the cross-reference stream in {where} is malformed")
        entries = sum(index[1::2])
        # Its data is exactly its entries: nothing can be kept in it besides.
        if len(decoded) != entries * sum(widths):
            raise NotReadable(f"the cross-reference stream in {where} holds other data")

    def _check_joined_contents(self) -> None:
        # A viewer joins a page's content streams before reading them, so "B" at the end of one
        # and "I" at the start of the next is the BI of an inline image.
        streams = {Ref(stream.num, stream.gen): stream for stream in self.streams}
        for refs, where in self.content_arrays:
            parts = []
            for ref in refs:
                stream = streams.get(ref) if isinstance(ref, Ref) else None
                if stream is None:
                    continue
                decoded = self._decode(bytes(self.data[stream.start : stream.end]), stream.info, where)
                parts.append(decoded)
            if len(parts) > 1:
                offset = inline_image(b"".join(parts))
                if offset is not None:
                    self.refuse_image("an inline image split across its content streams", where)


# --- the second reader: pypdf ----------------------------------------------------------------------


def _check_with_pypdf(handle: BinaryIO, data: Any, found: _Found) -> None:
    handle.seek(0)
    limits = {
        "zlib_maximum_output_length": MAX_STREAM_DECODED_BYTES,
        "lzw_maximum_output_length": MAX_STREAM_DECODED_BYTES,
        "run_length_maximum_output_length": MAX_STREAM_DECODED_BYTES,
        "brotli_maximum_output_length": MAX_STREAM_DECODED_BYTES,
        "zlib_maximum_recovery_input_length": _ZLIB_RECOVERY_BYTES,
    }
    with apply_configuration(**limits):
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted:
            raise UploadRefused(_ENCRYPTED)
        if len(reader.pages) == 0:
            raise NotReadable("it has no pages")
        for page in reader.pages:
            page.get_contents()
        _cross_check(reader, data, found)


def _cross_check(reader: PdfReader, data: Any, found: _Found) -> None:
    """Every object pypdf would read must be one this module's reader found and checked."""
    starts: dict[tuple[int, int], set[int]] = {}
    for offset, num_gen in found.headers.items():
        starts.setdefault(num_gen, set()).add(offset)
    for gen, entries in reader.xref.items():
        for num, offset in entries.items():
            if offset is None or offset <= 0:
                continue
            at = TOKEN.match(data, offset)
            start = at.start(at.lastgroup) if at.lastgroup else offset
            if start not in starts.get((num, gen), ()):
                raise NotReadable(
                    f"its cross-reference table points object {num} at byte {offset:,}, where it is not"
                )
    for num, (stream_num, _index) in reader.xref_objStm.items():
        if (stream_num, num) not in found.in_object_streams:
            raise NotReadable(
                f"object {num} is not in object stream {stream_num}, as its cross-reference says"
            )
