"""Request bodies, read with limits.

DRF's JSONParser reads the whole stream whatever its size (Django's DATA_UPLOAD_MAX_MEMORY_SIZE
guards `request.body`, which DRF does not use), and Python's json module meets a deeply nested
body with a RecursionError. Here a JSON body over API_MAX_JSON_BYTES is refused with 413 before
it is read, and nesting beyond MAX_DEPTH, non-UTF-8 text, duplicate keys, NaN/Infinity and
oversized numbers are 400s that say so.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from api.problems import PayloadTooLarge

# Deeper than any body the API describes (a bulk update is three levels), far from the recursion limit.
MAX_DEPTH = 32


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ParseError(f"The key {key!r} appears twice in one object.")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ParseError(f"{name} is not JSON.")


def _depth(value: Any, limit: int = MAX_DEPTH) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ParseError(f"The body is nested more than {limit} levels deep.")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


class LimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            if declared and int(declared) > limit:
                raise PayloadTooLarge(
                    f"A JSON body may be at most {limit} bytes; this one declares {int(declared)}."
                )
        except ValueError:
            raise ParseError("Content-Length is not a number.") from None
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"A JSON body may be at most {limit} bytes.")
        if not raw.strip():
            raise ParseError("The body is empty: send a JSON object.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("The body is not UTF-8 text.") from None
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        except ParseError:
            raise
        except RecursionError:
            raise ParseError(f"The body is nested more than {MAX_DEPTH} levels deep.") from None
        except ValueError as exc:  # JSONDecodeError, and integers past Python's digit limit
            raise ParseError(f"The body is not valid JSON: {exc}") from None
        _depth(data)
        return data
