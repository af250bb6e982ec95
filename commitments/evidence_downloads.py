"""How a stored evidence file is sent, by the workspace and by the public site alike.

The download name and type come from what the content was detected to be when it was stored
(commitments.sniffing), never from the name the uploader gave it: a file uploaded as
"report.html" or "diagram.svg" is stored only if it is text, and is downloaded as ".txt".
"""

from typing import BinaryIO

from django.http import FileResponse
from django.utils.text import slugify

from commitments.evidence_storage import blob_response
from commitments.sniffing import EXTENSIONS

_UNKNOWN_TYPE = "application/octet-stream"
_UNKNOWN_EXTENSION = ".bin"


def evidence_download_name(*, title: str, sha256: str, media_type: str) -> str:
    """'child-safety-policy-3f2a9c1e0b7d.pdf': the title, the start of the hash, the detected type."""
    extension = EXTENSIONS.get(media_type, _UNKNOWN_EXTENSION)
    return f"{slugify(title)[:80] or 'evidence'}-{sha256[:12]}{extension}"


def evidence_file_response(handle: BinaryIO, *, title: str, sha256: str, media_type: str) -> FileResponse:
    """The file as an attachment that a browser will neither sniff nor run, whatever it holds."""
    if media_type not in EXTENSIONS:
        # Rows stored before the current checks may carry another type; it is not repeated.
        media_type = _UNKNOWN_TYPE
    response = blob_response(
        handle,
        as_attachment=True,
        filename=evidence_download_name(title=title, sha256=sha256, media_type=media_type),
        content_type=f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even opened in a browser tab, it may load nothing and run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
