"""Streaming, content-addressed storage for evidence files (and, through store_bytes, the signed PDFs).

An upload is copied in fixed-size chunks to a local scratch file while its SHA-256 and size are
computed and its content is sniffed, so memory does not grow with the file and a refused upload
is stopped at the chunk that gave it away. Only accepted bytes are then stored, under
`evidence/<sha[:2]>/<sha>`: the name is the hash, so the same document uploaded twice is stored
once and a stored file can never be replaced by different bytes.

Everything goes through Django's default storage (STORAGES["default"], config/storage.py): a
folder (MEDIA_ROOT) or an S3-compatible bucket (commitments.object_storage). Nothing here asks a
storage for a local path or renames a stored file. On a folder the scratch file sits inside it,
so storing it is a rename; on a bucket it sits in FILE_UPLOAD_TEMP_DIR and is uploaded from there,
and the object appears only once the upload completes. Either way no stored name ever holds part
of a file, and the scratch file is gone when the call returns, whatever happened.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse

from commitments.errors import StorageFailed, UploadRefused
from commitments.sniffing import ContentSniffer

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
STORAGE_PREFIX = "evidence"
MAX_NAME_LENGTH = 255
_MB = 1024 * 1024
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StoredBlob:
    storage_name: str
    sha256: str
    size: int
    media_type: str
    original_name: str
    # False when identical bytes were already stored; such a blob may be shared and must stay.
    created: bool


def content_address(sha256: str) -> str:
    return f"{STORAGE_PREFIX}/{sha256[:2]}/{sha256}"


def clean_original_name(name: str | None) -> str:
    """The client's file name, kept only as a label. Refuses names that try to leave a folder.

    Django's upload handlers already reduce names to their basename; this also guards callers
    that hand over their own streams, and refuses rather than silently rewriting what was sent.
    """
    if not name:
        return ""
    name = str(name).strip()
    problem = None
    if "\x00" in name:
        problem = "contains a NUL byte"
    elif _CONTROL_CHARS.search(name):
        problem = "contains control characters"
    elif name.startswith(("/", "\\")):
        problem = "starts with a path separator"
    elif _DRIVE_LETTER.match(name):
        problem = "starts with a drive letter"
    elif ".." in re.split(r"[/\\]", name):
        problem = "refers to a parent folder (..)"
    elif "/" in name or "\\" in name:
        problem = "contains a path separator"
    elif name in (".", ".."):
        problem = "is not a file name"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"is longer than {MAX_NAME_LENGTH} characters"
    if problem is not None:
        raise UploadRefused(f"The file name {problem}. Rename the file to a plain name such as 'report.pdf'.")
    return name


def store_evidence_file(upload: Any, *, name: str | None = None) -> StoredBlob:
    """Hash, size-check, sniff and store `upload` (an UploadedFile or any binary stream).

    Raises UploadRefused for a bad name, an oversized file or content that is not a permitted
    document, and StorageFailed (an UploadRefused) when accepted bytes could not be stored; on
    that or any other error nothing is left behind in storage or in the scratch folder.
    """
    original_name = clean_original_name(name if name is not None else getattr(upload, "name", ""))
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise UploadRefused(
            f"This file is too large ({_megabytes(declared)} MB); the limit is {_megabytes(limit)} MB."
        )

    fd, scratch_path = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=scratch_dir())
    try:
        digest = hashlib.sha256()
        size = 0
        sniffer = ContentSniffer(name=original_name)
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(upload):
                if not isinstance(chunk, bytes):
                    raise TypeError("Evidence uploads must be binary streams.")
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(
                        f"This file is too large: the limit is {_megabytes(limit)} MB and the upload "
                        f"was stopped after {_megabytes(size)} MB."
                    )
                digest.update(chunk)
                sniffer.feed(chunk)
                out.write(chunk)
            out.flush()
            # The hash names the file forever: its bytes must be on disk before anything refers to it.
            os.fsync(out.fileno())
        media_type = sniffer.finish(size=size, reopen=partial(open, scratch_path, "rb"))
        sha256 = digest.hexdigest()
        try:
            storage_name, created = _store(scratch_path, content_address(sha256))
        except Exception as exc:
            logger.exception("Could not store an accepted evidence file in %s", storage_description())
            raise StorageFailed(
                "The file was accepted but could not be stored just now, so nothing was saved. "
                "Please try again in a few minutes."
            ) from exc
    finally:
        with suppress(FileNotFoundError):
            os.unlink(scratch_path)
    return StoredBlob(
        storage_name=storage_name,
        sha256=sha256,
        size=size,
        media_type=media_type,
        original_name=original_name,
        created=created,
    )


def check_stored_blob(storage_name: str, *, name: str = "") -> str:
    """Run today's upload checks over a file already in storage: its media type, or UploadRefused.

    Raises FileNotFoundError when the blob is missing. The blob is read once, in chunks, into a
    local scratch file (as an upload is), and the whole-file checks read that copy.
    """
    sniffer = ContentSniffer(name=name)
    size = 0
    fd, scratch_path = tempfile.mkstemp(prefix=".recheck-", suffix=".part", dir=scratch_dir())
    try:
        with os.fdopen(fd, "wb") as out, open_blob(storage_name) as handle:
            for chunk in _chunks(handle):
                size += len(chunk)
                sniffer.feed(chunk)
                out.write(chunk)
        return sniffer.finish(size=size, reopen=partial(open, scratch_path, "rb"))
    finally:
        with suppress(FileNotFoundError):
            os.unlink(scratch_path)


def store_bytes(data: bytes, name: str) -> str:
    """Store bytes the platform made itself (e.g. a signed PDF) under `name`, as uploads are stored:
    written to a scratch file and moved or uploaded into place, so a stored name never holds part
    of a file; a name that already exists is kept (the name is the content's hash)."""
    fd, scratch_path = tempfile.mkstemp(prefix=".store-", suffix=".part", dir=scratch_dir())
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        stored, _created = _store(scratch_path, name)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(scratch_path)
    return stored


def store_file(path: str, name: str) -> str:
    """Store a file the platform wrote itself into the scratch folder (`scratch_dir()`: e.g. an
    audit bundle's ZIP, too large to hold in memory) under `name`, as `store_bytes` does; the
    caller removes its scratch file afterwards."""
    stored, _created = _store(path, name)
    return stored


def open_blob(storage_name: str) -> File:
    """The stored file, opened for reading in chunks (from a bucket: as it arrives). FileNotFoundError
    when it is missing. The caller closes it."""
    return default_storage.open(storage_name, "rb")


def blob_response(handle: Any, **kwargs: Any) -> FileResponse:
    """A FileResponse streaming an opened blob, with its length even when it cannot be measured by
    seeking (an object read as it arrives from a bucket)."""
    response = FileResponse(handle, **kwargs)
    size = getattr(handle, "size", None)
    if "Content-Length" not in response and isinstance(size, int):
        response["Content-Length"] = str(size)
    return response


def delete_blob(storage_name: str) -> None:
    """Only for a blob this very request created and nothing refers to; see services.evidence."""
    default_storage.delete(storage_name)


class StorageUnavailable(Exception):
    """The default storage cannot be used; the message names it and says why."""


STORAGE_PROBE_PREFIX = ".readiness-probe"


def storage_check() -> None:
    """Raise StorageUnavailable unless the default storage can be used, for readiness checks.

    A folder must exist (or be creatable) and take a file. A bucket must answer a listing of an
    empty prefix, which fails for an unreachable server, a missing bucket or refused credentials.
    Nothing is written to a bucket: with versioning on, a probe every few seconds would pile up
    versions.
    """
    try:
        if isinstance(default_storage, FileSystemStorage):
            folder = Path(default_storage.location)
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=STORAGE_PROBE_PREFIX, dir=folder)
            os.close(fd)
            os.unlink(probe)
        else:
            default_storage.listdir(STORAGE_PROBE_PREFIX)
    except Exception as exc:
        raise StorageUnavailable(
            f"Storage ({storage_description()}) is not usable: {type(exc).__name__}: {exc}"
        ) from exc


def storage_description() -> str:
    """Which storage is in use, for messages and logs (never a credential)."""
    describe = getattr(default_storage, "describe", None)
    if describe is not None:
        return describe()
    if isinstance(default_storage, FileSystemStorage):
        return f"folder {default_storage.location}"
    return type(default_storage).__name__


def scratch_dir() -> Path:
    """Where files wait before they are stored: inside the storage folder when there is one, so
    that storing is a rename; otherwise the upload temporary folder."""
    if isinstance(default_storage, FileSystemStorage):
        folder = Path(default_storage.location)
    else:
        folder = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _ScratchFile(File):
    """Lets the storage move (a folder) or upload by path (a bucket) the scratch file, not copy it."""

    def __init__(self, file: BinaryIO, path: str):
        super().__init__(file, name=os.path.basename(path))
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


def _store(scratch_path: str, name: str) -> tuple[str, bool]:
    if default_storage.exists(name):
        return name, False
    with open(scratch_path, "rb") as handle:
        saved = default_storage.save(name, _ScratchFile(handle, scratch_path))
    if saved != name:
        # An identical upload stored the same name between our check and our save; the storage
        # then picked a new name for ours. Keep the first copy: the bytes are the same.
        logger.info("Identical evidence stored concurrently; dropping duplicate %s", saved)
        default_storage.delete(saved)
        return name, False
    return name, True


def _chunks(upload: Any) -> Iterator[bytes]:
    if hasattr(upload, "chunks"):
        # Django files: rewinds first and reads from disk or memory in chunks.
        yield from upload.chunks(CHUNK_SIZE)
        return
    while True:
        chunk = upload.read(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk


def _megabytes(size: int) -> str:
    return f"{size / _MB:.3g}"
