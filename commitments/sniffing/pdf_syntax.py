"""Reading PDF syntax: the values in a PDF file or object stream, byte by byte.

`Syntax.values` reads numbers, names, strings, arrays, dictionaries and references without
recursion (nesting is bounded), and shows every dictionary and string to a listener as it
closes: commitments.sniffing.pdf decides there what is refused.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Protocol

MAX_NESTING = 64

WS = b"\x00\t\n\x0c\r "
TOKEN = re.compile(
    rb"[\x00\t\n\x0c\r ]*+"
    rb"(?:(?P<comment>%[^\r\n]*+)"
    rb"|(?P<name>/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*+)"
    rb"|(?P<open_dict><<)|(?P<close_dict>>>)"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*+>)"
    rb"|(?P<open_array>\[)|(?P<close_array>\])"
    rb"|(?P<string>\()"
    rb"|(?P<word>[^\x00\t\n\x0c\r ()<>\[\]{}/%]++)"
    rb"|(?P<other>[\s\S]))?"
)
_NUMBER = re.compile(rb"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_REF_TAIL = re.compile(rb"[\x00\t\n\x0c\r ]++(\d{1,5})[\x00\t\n\x0c\r ]++R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n|\r|\n)|([\s\S]))")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class Name(str):
    """A PDF name, without its slash and with #xx escapes decoded."""


class Ref(NamedTuple):
    num: int
    gen: int


class NotReadable(Exception):
    """The file is not PDF syntax; becomes the 'not a readable PDF' refusal."""


class TooComplex(Exception):
    """A limit was reached; becomes the 'too complex to check' refusal."""


class Listener(Protocol):
    def dictionary(self, pairs: list[tuple[Name, Any]], where: str) -> None: ...

    def string(self, value: bytes, where: str) -> None: ...


class Syntax:
    """Reads PDF values from `data`; every dictionary and string is shown to `check` as it closes."""

    def __init__(self, data: Any, check: Listener, *, base: int = 0):
        self.data = data
        self.check = check
        self.base = base  # where `data` starts in the file, for messages

    def token(self, pos: int) -> re.Match:
        return TOKEN.match(self.data, pos)

    def values(
        self, pos: int, *, where: str, until: frozenset[bytes] = frozenset(), count: int | None = None
    ) -> tuple[list, int, bytes | None]:
        """Values from `pos` until one of the `until` keywords (returned) or `count` values."""
        data = self.data
        bottom: list = []
        stack: list[tuple[bool, list]] = []  # (is_dict, items)
        while True:
            if count is not None and not stack and len(bottom) == count:
                last = bottom[-1] if bottom else None
                if type(last) is int:
                    # "5 0 R" is one value, a reference, not the number 5.
                    tail = _REF_TAIL.match(data, pos)
                    if tail is not None:
                        bottom[-1] = Ref(last, int(tail.group(1)))
                        pos = tail.end()
                return bottom, pos, None
            found = TOKEN.match(data, pos)
            kind = found.lastgroup
            if kind is None:
                raise NotReadable(f"the file ends inside {where}")
            start = found.start(kind)
            pos = found.end()
            items = stack[-1][1] if stack else bottom
            if kind == "comment":
                continue
            if kind == "name":
                items.append(_name(found.group(kind)))
            elif kind == "string":
                value, pos = self.literal_string(pos, where)
                self.check.string(value, where)
                items.append(value)
            elif kind == "hex":
                value = _hex_string(found.group(kind))
                self.check.string(value, where)
                items.append(value)
            elif kind in ("open_dict", "open_array"):
                if len(stack) >= MAX_NESTING:
                    raise TooComplex(f"{where} is nested more than {MAX_NESTING} levels deep")
                stack.append((kind == "open_dict", []))
            elif kind == "close_array":
                if not stack or stack[-1][0]:
                    raise NotReadable(f"an unexpected “]” at byte {self.base + start:,}")
                _, array = stack.pop()
                (stack[-1][1] if stack else bottom).append(array)
            elif kind == "close_dict":
                if not stack or not stack[-1][0]:
                    raise NotReadable(f"an unexpected “>>” at byte {self.base + start:,}")
                _, flat = stack.pop()
                if len(flat) % 2 or not all(isinstance(key, Name) for key in flat[::2]):
                    raise NotReadable(f"a malformed dictionary in {where}")
                pairs = list(zip(flat[::2], flat[1::2], strict=True))
                self.check.dictionary(pairs, where)
                (stack[-1][1] if stack else bottom).append(dict(pairs))
            elif kind == "word":
                word = found.group(kind)
                if _NUMBER.fullmatch(word):
                    items.append(float(word) if b"." in word else int(word))
                elif word == b"R":
                    if len(items) < 2 or type(items[-1]) is not int or type(items[-2]) is not int:
                        raise NotReadable(f"a malformed reference in {where}")
                    gen = items.pop()
                    items[-1] = Ref(items[-1], gen)
                elif word in (b"true", b"false"):
                    items.append(word == b"true")
                elif word == b"null":
                    items.append(None)
                elif not stack and word in until:
                    return bottom, pos, word
                else:
                    raise NotReadable(f"unexpected “{printable(word)}” at byte {self.base + start:,}")
            else:
                raise NotReadable(f"an unexpected character at byte {self.base + start:,}")

    def literal_string(self, pos: int, where: str) -> tuple[bytes, int]:
        depth, index, data = 1, pos, self.data
        while True:
            special = _STRING_SPECIAL.search(data, index)
            if special is None:
                raise NotReadable(f"a string in {where} is not closed")
            at = special.start()
            char = data[at]
            if char == 0x5C:  # backslash: the next byte is escaped
                index = at + 2
                continue
            depth += 1 if char == 0x28 else -1
            index = at + 1
            if depth == 0:
                raw = data[pos:at]
                return (_ESCAPE.sub(_unescape, raw) if b"\\" in raw else bytes(raw)), index


def _name(raw: bytes) -> Name:
    raw = raw[1:]
    if b"#" in raw:
        raw = _NAME_ESCAPE.sub(lambda found: bytes([int(found.group(1), 16)]), raw)
    return Name(raw.decode("latin-1"))


def _hex_string(raw: bytes) -> bytes:
    digits = raw[1:-1].translate(None, WS)
    if len(digits) % 2:
        digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def _unescape(found: re.Match) -> bytes:
    octal, newline, other = found.groups()
    if octal is not None:
        return bytes([int(octal, 8) & 0xFF])
    if newline is not None:
        return b""
    return _ESCAPES.get(other, other)


def printable(word: bytes) -> str:
    """A word from the file, safe to quote in a message."""
    text = word[:20].decode("latin-1")
    return "".join(char if char.isprintable() and char.isascii() else "?" for char in text)
