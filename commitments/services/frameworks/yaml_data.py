"""Framework files are data, not a program: read them within fixed limits.

Whoever can put a file in the frameworks folder must not be able to make the loader use gigabytes
of memory, run for minutes, crash with a traceback or print megabytes. So a file is refused
before it is parsed when it is too large or not UTF-8 text, and while it is composed (before
any value is built) when it uses anchors, aliases, merge keys or tags beyond the plain core
ones, nests too deeply or holds too many values. Every refusal names the line and column.

libyaml reads the events when PyYAML has it (about ten times faster); nodes are always composed
here, so the limits hold either way.
"""

import os
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import MarkedYAMLError
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32  # lists and mappings inside each other; the shipped files need 7
MAX_VALUES = 100_000  # scalars, lists and mappings; 2 MB of real framework text holds about 50,000
MAX_QUOTED_CHARS = 80
MAX_NUMBER_CHARS = 100  # longer digit strings are a denial of service, not a number in a framework

# Set to False to use PyYAML's pure-Python reader (what runs where PyYAML lacks libyaml).
LIBYAML = yaml.__with_libyaml__

_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")}
_MERGE_TAG = f"{_CORE}merge"


class UnreadableFile(Exception):
    """The file cannot be read as framework data; the message says where and why, on one line."""


def framework_file_read(path: Path) -> bytes:
    """The bytes of a framework file, refused when it is not a regular file or too large.

    Opened without blocking and checked on the open descriptor, so a FIFO or a link to
    /dev/zero is refused instead of hanging, and the read is bounded even if the file grows.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise UnreadableFile("not a regular file")
            if status.st_size > MAX_FILE_BYTES:
                raise UnreadableFile(_too_large(status.st_size))
            with os.fdopen(descriptor, "rb", closefd=False) as stream:
                content = stream.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise UnreadableFile(f"cannot be read: {error.strerror or error}") from error
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFile(_too_large(len(content)))
    return content


def yaml_data_parse(content: bytes) -> Any:
    """The value a framework file's bytes hold, or UnreadableFile saying where and why not."""
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFile(_too_large(len(content)))
    text = _utf8_decode(content)
    unprintable = Reader.NON_PRINTABLE.search(text)
    if unprintable:
        line, column = _line_column(text, unprintable.start())
        raise UnreadableFile(
            f"line {line}, column {column}: character U+{ord(unprintable.group()):04X} is not allowed "
            "(control characters cannot appear in YAML)"
        )
    loader_class = _LibyamlLoader if LIBYAML and _LibyamlLoader else _PythonLoader
    try:
        loader = loader_class(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise UnreadableFile(_yaml_message(error)) from None
    except RecursionError:  # not reachable within MAX_DEPTH, but a traceback must never be the answer
        raise UnreadableFile(f"nested too deeply (at most {MAX_DEPTH} levels)") from None


def quoted(value: Any) -> str:
    """`value` as Python writes it, cut to MAX_QUOTED_CHARS, for messages that quote a file."""
    text = _short_repr.repr(value)
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """`text` on one line of at most `limit` characters, control characters escaped, so that what a
    file says cannot spread over a terminal or rewrite it."""
    text = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode() for char in text[: limit + 1]
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


_short_repr = reprlib.Repr()
_short_repr.maxlevel = 2
_short_repr.maxdict = _short_repr.maxlist = _short_repr.maxtuple = _short_repr.maxset = 4
_short_repr.maxstring = _short_repr.maxother = _short_repr.maxlong = MAX_QUOTED_CHARS


def _too_large(size: int) -> str:
    limit = f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES / 1024 / 1024:g} MB)"
    return f"the file has {size:,} bytes; framework files are limited to {limit}"


def _utf8_decode(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = content.rfind(b"\n", 0, error.start) + 1
        line = content.count(b"\n", 0, error.start) + 1
        column = len(content[line_start : error.start].decode("utf-8")) + 1
        hint = " (it looks like UTF-16)" if content[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise UnreadableFile(
            f"line {line}, column {column}: byte 0x{content[error.start]:02x} is not UTF-8 text{hint}; "
            "save the file as UTF-8"
        ) from None


def _line_column(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _yaml_message(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if getattr(error, "context", None):
        problem = f"{problem} ({error.context})"
    if isinstance(error, _NotAllowed):
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where}: {problem}"


class _NotAllowed(MarkedYAMLError):
    """Valid YAML that a framework file may not use."""

    def __init__(self, problem: str, mark: Any):
        super().__init__(problem=problem, problem_mark=mark)


class _LimitedComposer(Composer):
    """Refuses, event by event and before any node is shared or any value built, what could make
    a small file expand (anchors and aliases, merge keys), run code-like tags, recurse deeply or
    grow without end. PyYAML composes recursively, so the depth is checked before descending."""

    def __init__(self) -> None:
        Composer.__init__(self)
        self.depth = 0
        self.values = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _NotAllowed(
                f"alias *{one_line(event.anchor, MAX_QUOTED_CHARS)}: aliases (*) and anchors (&) are not "
                "allowed; write the value out in full",
                event.start_mark,
            )
        if event.anchor is not None:
            raise _NotAllowed(
                f"anchor &{one_line(event.anchor, MAX_QUOTED_CHARS)}: anchors (&) and aliases (*) are not "
                "allowed; write each value out in full",
                event.start_mark,
            )
        if event.tag not in (None, "!") and event.tag not in _PLAIN_TAGS:
            raise _NotAllowed(
                f"tag {quoted(event.tag)} is not allowed; framework files hold only plain text, numbers, "
                "true/false, lists and mappings",
                event.start_mark,
            )
        self.values += 1
        if self.values > MAX_VALUES:
            raise _NotAllowed(
                f"more than {MAX_VALUES:,} values (texts, numbers, lists and mappings) in one file",
                event.start_mark,
            )
        nests = isinstance(event, SequenceStartEvent | MappingStartEvent)
        if nests:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _NotAllowed(
                    f"lists and mappings nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
        node = super().compose_node(parent, index)
        if nests:
            self.depth -= 1
        if node.tag == _MERGE_TAG:
            raise _NotAllowed(
                "merge keys (<<) are not allowed; write the keys out in full (quote '<<' to mean the text)",
                node.start_mark,
            )
        return node


class _DataConstructor(SafeConstructor):
    """Builds plain values only: texts as mapping keys, each key once per mapping, numbers of a
    sane length; dates stay text for the schema to check. A malformed scalar becomes a YAML
    error naming its place rather than a ValueError."""

    def construct_framework_mapping(self, node: Any) -> dict[str, Any]:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found a {node.id}", node.start_mark)
        seen = set()
        for key_node, _value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _NotAllowed(f"a mapping key must be text, not a {key_node.id}", key_node.start_mark)
            key = self.construct_object(key_node)
            if not isinstance(key, str):
                raise _NotAllowed(
                    f"the key {quoted(key_node.value)} must be text; quote it", key_node.start_mark
                )
            if key in seen:
                raise ConstructorError(
                    None, None, f"key {quoted(key)} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return self.construct_mapping(node)


def _checked_scalar(construct: Any, kind: str) -> Any:
    def construct_checked(loader: SafeConstructor, node: Any) -> Any:
        if isinstance(node, ScalarNode) and len(node.value) > MAX_NUMBER_CHARS:
            raise _NotAllowed(f"{quoted(node.value)} is too long for {kind}", node.start_mark)
        try:
            return construct(loader, node)
        except (ValueError, KeyError, IndexError):
            raise ConstructorError(
                None, None, f"{quoted(node.value)} is not {kind}", node.start_mark
            ) from None

    return construct_checked


_DataConstructor.add_constructor(f"{_CORE}map", _DataConstructor.construct_framework_mapping)
for _name, _kind in (("int", "a whole number"), ("float", "a number"), ("bool", "true or false")):
    _DataConstructor.add_constructor(
        f"{_CORE}{_name}", _checked_scalar(SafeConstructor.yaml_constructors[f"{_CORE}{_name}"], _kind)
    )


class _DataResolver(Resolver):
    """Dates and `=` stay text: the schema checks dates, and `=` means nothing in a framework."""


_DataResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (f"{_CORE}timestamp", f"{_CORE}value")]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


class _PythonLoader(Reader, Scanner, Parser, _LimitedComposer, _DataConstructor, _DataResolver):
    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _LimitedComposer.__init__(self)
        _DataConstructor.__init__(self)
        _DataResolver.__init__(self)


_LibyamlLoader: type | None = None
if yaml.__with_libyaml__:
    from yaml.cyaml import CParser

    class _LibyamlLoader(_LimitedComposer, CParser, _DataConstructor, _DataResolver):  # type: ignore[no-redef]
        # The composer comes before CParser so that its node methods replace libyaml's own.
        def __init__(self, text: str):
            CParser.__init__(self, text)
            _LimitedComposer.__init__(self)
            _DataConstructor.__init__(self)
            _DataResolver.__init__(self)
