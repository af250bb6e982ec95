"""Reading a rendered PDF as a user's tools would: its text per page, its attachments, its XMP."""

import io
import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pypdf import PdfReader


def squash(text: str) -> str:
    """All whitespace removed: long hashes and words may wrap anywhere in the layout."""
    return "".join(text.split())


def words(text: str) -> str:
    """Whitespace collapsed to single spaces, so that a phrase wrapped over two lines still matches."""
    return " ".join(text.split())


@dataclass
class ReadPdf:
    data: bytes

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(io.BytesIO(self.data))

    @cached_property
    def pages(self) -> list[str]:
        return [page.extract_text() or "" for page in self.reader.pages]

    @cached_property
    def text(self) -> str:
        return "\n".join(self.pages)

    def contains(self, phrase: str) -> bool:
        return words(phrase) in words(self.text) or squash(phrase) in squash(self.text)

    @cached_property
    def embedded_files(self) -> dict[str, Any]:
        """Name → file specification dictionary, from the catalogue's EmbeddedFiles name tree."""
        root = self.reader.trailer["/Root"]
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
        return {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}

    def attachment(self, name: str) -> bytes:
        return self.embedded_files[name]["/EF"]["/F"].get_object().get_data()

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return json.loads(self.attachment("manifest.json"))

    @cached_property
    def associated_files(self) -> list[Any]:
        """The catalogue's /AF array: PDF/A-3 requires every embedded file to be listed there."""
        return [spec.get_object() for spec in self.reader.trailer["/Root"].get("/AF", [])]

    @cached_property
    def xmp(self) -> str:
        return self.reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")

    def xmp_value(self, name: str) -> str | None:
        """`pdfaid:part` and the like, written either as an element or as an attribute."""
        found = re.search(rf"<{name}>([^<]*)</{name}>", self.xmp) or re.search(rf'{name}="([^"]*)"', self.xmp)
        return found.group(1) if found else None
