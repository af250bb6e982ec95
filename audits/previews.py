"""Evidence shown as text inside the audit pages (issue 14): a text file's text, a PDF's extracted
text, never the file itself. The page puts it, escaped, in a <pre>: nothing of the file runs,
whatever it holds. Used for the item's evidence and for a file given in answer to a request.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

from commitments.sniffing.common import PDF, TEXT_TYPES

logger = logging.getLogger(__name__)

PREVIEW_LIMIT = 200 * 1024  # characters of text shown; the rest is in the download
NOT_PREVIEWABLE = "Only text and PDF evidence can be previewed. Download it to read it."


@dataclass(frozen=True)
class Preview:
    text: str = ""
    truncated: bool = False
    problem: str = ""  # said instead of the text when there is none to show


def previewable(media_type: str) -> bool:
    return media_type in TEXT_TYPES or media_type == PDF


def preview_text(media_type: str, handle: BinaryIO, *, what: str) -> Preview:
    """At most PREVIEW_LIMIT characters of the file's text; `what` names the file in the log."""
    if media_type in TEXT_TYPES:
        # Characters are at most 4 bytes: this many bytes always holds PREVIEW_LIMIT of them.
        data = handle.read(PREVIEW_LIMIT * 4 + 1)
        text = data.decode("utf-8", errors="replace")
        truncated = len(text) > PREVIEW_LIMIT or len(data) > PREVIEW_LIMIT * 4
        return Preview(text[:PREVIEW_LIMIT], truncated)
    if media_type == PDF:
        from pypdf import PdfReader

        try:
            reader = PdfReader(io.BytesIO(handle.read()))
            pages, length = [], 0
            for number, page in enumerate(reader.pages, start=1):
                text = f"— page {number} —\n{page.extract_text() or ''}\n"
                pages.append(text)
                length += len(text)
                if length > PREVIEW_LIMIT:
                    break
        except Exception:  # a PDF that pypdf cannot read, whatever the reason: the download still works
            logger.warning("The text of %s could not be extracted for a preview.", what)
            return Preview(problem="The text of this PDF could not be extracted. Download it to read it.")
        text = "".join(pages)
        if not text.strip():
            return Preview(
                problem="This PDF has no text to show (it may be scanned pages). Download it to read it."
            )
        return Preview(text[:PREVIEW_LIMIT], len(text) > PREVIEW_LIMIT)
    return Preview(problem=NOT_PREVIEWABLE)
