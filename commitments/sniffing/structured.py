"""JSON and CSV evidence must be what they claim, over the whole file, in bounded memory.

JSON is validated by a streaming checker rather than `json.loads`: loading builds every value
in memory (arrays cost about twelve times their size), while this reads the text in chunks
and keeps only the stack of open brackets. Runs of simple members ("a": 1, "b": "x", …) are
consumed by one regular expression each, so large flat data is checked at C speed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import BinaryIO, TextIO

from commitments.errors import UploadRefused

MAX_JSON_DEPTH = 512
_MAX_NUMBER_CHARS = 1000
_READ_CHARS = 256 * 1024
# Every token but a string fits in this; strings are read across refills.
_LOOKAHEAD = 2 * _MAX_NUMBER_CHARS

_WS = re.compile(r"[ \t\n\r]*+")
_STRING_BODY = re.compile(r'(?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?[0-9]++)?+")
_LITERALS = ("true", "false", "null")


def _small_value_pattern(depth: int) -> str:
    """A regular expression for any JSON value nested at most `depth` levels deep.

    Records in the usual exports ({"id": 1, "tags": ["a"]}) match it whole, so the checker's
    Python loop runs once per record or per run of records, not once per token. Quantifiers
    are possessive: a value that does not match fails at once instead of backtracking.
    """
    ws = r"[ \t\n\r]*+"
    string = r'"(?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+"'
    value = rf"(?:{string}|{_NUMBER.pattern}|true|false|null)"
    for _ in range(depth):
        array = rf"\[{ws}(?:{value}{ws}(?:,{ws}{value}{ws})*+)?+\]"
        member = rf"{string}{ws}:{ws}{value}{ws}"
        obj = rf"\{{{ws}(?:{member}(?:,{ws}{member})*+)?+\}}"
        value = rf"(?:{string}|{_NUMBER.pattern}|true|false|null|{array}|{obj})"
    return value


_SMALL_VALUE_PATTERN = _small_value_pattern(3)
_SMALL_VALUE = re.compile(_SMALL_VALUE_PATTERN)
_STRING_PATTERN = r'"(?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+"'
# Many array elements, or object members, each followed by a comma, in one match.
_ARRAY_RUN = re.compile(rf"(?:[ \t\n\r]*+{_SMALL_VALUE_PATTERN}[ \t\n\r]*+,)++")
_OBJECT_RUN = re.compile(
    rf"(?:[ \t\n\r]*+{_STRING_PATTERN}[ \t\n\r]*+:[ \t\n\r]*+{_SMALL_VALUE_PATTERN}[ \t\n\r]*+,)++"
)

# What the checker expects next.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _AFTER_VALUE = range(6)


class _Problem(Exception):
    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position


def check_json(reopen: Callable[[], BinaryIO], *, named: bool) -> None:
    """Raise UploadRefused unless the whole file is one JSON value (RFC 8259)."""
    with reopen() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig") as text:
        try:
            _JsonChecker(text).run()
        except _Problem as problem:
            raise UploadRefused(_json_message(str(problem), problem.position, reopen, named=named)) from None


def is_json(reopen: Callable[[], BinaryIO]) -> bool:
    with reopen() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig") as text:
        try:
            _JsonChecker(text).run()
        except _Problem:
            return False
    return True


class _JsonChecker:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.base = 0  # characters dropped from the front of buf so far
        self.eof = False

    def fill(self) -> None:
        self.base += self.pos
        more = self.stream.read(_READ_CHARS)
        self.eof = not more
        self.buf = self.buf[self.pos :] + more
        self.pos = 0

    def fail(self, message: str, position: int | None = None) -> _Problem:
        return _Problem(message, self.base + (self.pos if position is None else position))

    def run(self) -> None:
        stack: list[str] = []
        state = _VALUE
        seen_value = False
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if not self.eof and len(self.buf) - self.pos < _LOOKAHEAD:
                self.fill()
                continue
            if self.pos == len(self.buf):
                if not seen_value:
                    raise self.fail("the file has no JSON value")
                if stack or state != _AFTER_VALUE:
                    raise self.fail("the file ends before the JSON value is complete")
                return
            if seen_value and not stack and state == _AFTER_VALUE:
                raise self.fail("there is more after the JSON value")
            char = self.buf[self.pos]
            if state in (_VALUE, _VALUE_OR_CLOSE):
                if state == _VALUE_OR_CLOSE and char == "]":
                    stack.pop()
                    self.pos += 1
                    state = _AFTER_VALUE
                    continue
                if stack and stack[-1] == "[":
                    run = _ARRAY_RUN.match(self.buf, self.pos)
                    if run is not None:
                        self.pos = run.end()
                        state = _VALUE
                        continue
                seen_value = True
                whole = _SMALL_VALUE.match(self.buf, self.pos)
                # Ending exactly at the end of what was read, a number may go on in the next chunk.
                if whole is not None and (whole.end() < len(self.buf) or self.eof):
                    self.pos = whole.end()
                    state = _AFTER_VALUE
                    continue
                if char in "[{":
                    if len(stack) >= MAX_JSON_DEPTH:
                        raise self.fail(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
                    stack.append(char)
                    self.pos += 1
                    state = _VALUE_OR_CLOSE if char == "[" else _KEY_OR_CLOSE
                    continue
                self.scalar(char)
                state = _AFTER_VALUE
            elif state in (_KEY, _KEY_OR_CLOSE):
                if state == _KEY_OR_CLOSE and char == "}":
                    stack.pop()
                    self.pos += 1
                    state = _AFTER_VALUE
                    continue
                run = _OBJECT_RUN.match(self.buf, self.pos)
                if run is not None:
                    self.pos = run.end()
                    state = _KEY
                    continue
                if char != '"':
                    raise self.fail("a member name (in double quotes) was expected")
                self.string()
                state = _COLON
            elif state == _COLON:
                if char != ":":
                    raise self.fail("a colon was expected after the member name")
                self.pos += 1
                state = _VALUE
            else:  # _AFTER_VALUE inside a container
                if char == ",":
                    self.pos += 1
                    state = _VALUE if stack[-1] == "[" else _KEY
                elif char == ("]" if stack[-1] == "[" else "}"):
                    stack.pop()
                    self.pos += 1
                else:
                    raise self.fail(f"a comma or “{']' if stack[-1] == '[' else '}'}” was expected")

    def scalar(self, char: str) -> None:
        if char == '"':
            self.string()
            return
        if char == "-" or char.isdigit():
            found = _NUMBER.match(self.buf, self.pos)
            if found is None:
                raise self.fail("a number is malformed")
            if found.end() - self.pos > _MAX_NUMBER_CHARS:
                raise self.fail(f"a number is longer than {_MAX_NUMBER_CHARS:,} characters")
            self.pos = found.end()
            return
        for literal in _LITERALS:
            if self.buf.startswith(literal, self.pos):
                self.pos += len(literal)
                return
        raise self.fail("a value was expected (a string, number, object, array, true, false or null)")

    def string(self) -> None:
        start = self.base + self.pos
        self.pos += 1
        while True:
            end = _STRING_BODY.match(self.buf, self.pos).end()
            if end < len(self.buf) and self.buf[end] == '"':
                self.pos = end + 1
                return
            if end < len(self.buf) and (self.eof or len(self.buf) - end >= 6):
                raise self.fail("a string contains a control character or a bad escape", end)
            if self.eof:
                raise _Problem("a string is not closed", start)
            # A long string, or an escape cut by the end of the buffer: read on, letting go of
            # what was already checked.
            self.pos = end
            self.fill()


def _json_message(problem: str, position: int, reopen: Callable[[], BinaryIO], *, named: bool) -> str:
    line, column = _line_and_column(reopen, position)
    claim = "This file is named .json but is" if named else "This file starts like JSON but is"
    return (
        f"{claim} not valid JSON: {problem} (line {line:,}, column {column:,}). "
        "Check it with a JSON validator and upload it again."
    )


def _line_and_column(reopen: Callable[[], BinaryIO], position: int) -> tuple[int, int]:
    """Line and column of a character position, counted in a second pass to keep the first lean."""
    line, line_start, seen = 1, 0, 0
    with reopen() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig") as text:
        while seen < position:
            chunk = text.read(min(_READ_CHARS, position - seen))
            if not chunk:
                break
            newlines = chunk.count("\n")
            if newlines:
                line += newlines
                line_start = seen + chunk.rindex("\n") + 1
            seen += len(chunk)
    return line, position - line_start + 1


# --- CSV -------------------------------------------------------------------------------------

_CSV_SAMPLE_CHARS = 64 * 1024


def check_csv(reopen: Callable[[], BinaryIO]) -> None:
    """Raise UploadRefused unless every row of the whole file has as many fields as the first."""
    with reopen() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        sample = text.read(_CSV_SAMPLE_CHARS)
        if len(sample) == _CSV_SAMPLE_CHARS and "\n" in sample:
            # Keep only whole lines so the sniffer does not see a truncated record.
            sample = sample[: sample.rindex("\n") + 1]
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        text.seek(0)
        reader = csv.reader(text, dialect)
        width = None
        try:
            for row in reader:
                if not row:
                    continue
                if width is None:
                    width = len(row)
                elif len(row) != width:
                    raise UploadRefused(
                        f"This file is named .csv but is not a consistent table: line {reader.line_num:,} "
                        f"has {len(row)} {_fields(len(row))} where the first row has {width}. "
                        "Fix the row (a separator inside a value needs double quotes) "
                        "or upload it as plain text."
                    )
        except csv.Error as exc:
            raise UploadRefused(
                f"This file is named .csv but cannot be read as CSV at line {reader.line_num:,} ({exc}). "
                "Fix it or upload it as plain text."
            ) from None
    if width is None:
        raise UploadRefused("This file is named .csv but has no rows.")


def _fields(count: int) -> str:
    return "field" if count == 1 else "fields"
