"""Request bodies, read with limits.

DRF's JSONParser reads the whole stream whatever its size (Django's DATA_UPLOAD_MAX_MEMORY_SIZE
guards `request.body`, which DRF does not use), and Python's json module meets a deeply nested
body with a RecursionError. Here a JSON body over API_MAX_JSON_BYTES is refused with 413 before
it is read, and nesting beyond MAX_DEPTH, non-UTF-8 text, duplicate keys, NaN/Infinity and
oversized numbers are 400s that say so. Uploads (UploadParser) are bounded by the evidence limit
the same way, before they are read.
"""

from __future__ import annotations

import html
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import get_encoding

from api.problems import PayloadTooLarge
from commitments.evidence_storage import clean_original_name

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


# Room for the form fields and part headers that come with an upload's file (title, URL, date…).
UPLOAD_FIELDS_ROOM = 64 * 1024


class _RefusingNamesParser(DjangoMultiPartParser):
    def sanitize_file_name(self, file_name):
        # Django cuts "../../etc/passwd" down to "passwd" and drops ".." silently; a client that sends
        # such a name is told, by the storage's own rule, as the service would tell a caller.
        clean_original_name(html.unescape(file_name))
        return super().sanitize_file_name(file_name)


class UploadParser(parsers.MultiPartParser):
    """multipart/form-data for uploads (evidence files). A body that declares more than an evidence
    file may hold (EVIDENCE_MAX_UPLOAD_BYTES, and room for the other fields) is refused with 413
    before a byte is read; a file name that tries to leave a folder is refused (400, `#/file`);
    a body that is not multipart as declared is a 400 that says so."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        limit = settings.EVIDENCE_MAX_UPLOAD_BYTES + UPLOAD_FIELDS_ROOM
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ParseError("Content-Length is not a number.") from None
        if declared > limit:
            raise PayloadTooLarge(
                f"An upload may be at most {settings.EVIDENCE_MAX_UPLOAD_BYTES / 1024 / 1024:.3g} MB "
                f"(a request at most {limit} bytes); this one declares {declared} bytes."
            )
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _RefusingNamesParser(meta, stream, request.upload_handlers, get_encoding(parser_context))
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"The multipart body cannot be read: {exc}") from None
        except TooManyFilesSent:
            raise PayloadTooLarge(
                f"A request may carry at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files."
            ) from None
        return parsers.DataAndFiles(data, files)
