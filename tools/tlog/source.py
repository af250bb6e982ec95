"""Where a client reads the log from: its address on the web, or a folder holding a copy.

A log is read by path under its prefix, as c2sp.org/tlog-tiles lays it out (`checkpoint`,
`tile/<L>/<N>[.p/<W>]`) plus what Pledgeproof adds beside it (`key`, the verifier key, and
`artifact/<sha256>`, the ledger entry that recorded a signed PDF). A `Get` takes such a path and
the most bytes it accepts, and returns the body or raises LogUnavailable.

A folder with the same layout is the same log offline: `mirrored` keeps a copy of everything
read online, so an auditor can check again later without the network.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

Get = Callable[[str, int], bytes]  # (path under the log's prefix, byte limit) -> body
Fetch = Callable[[str, int], bytes]  # (absolute URL, byte limit) -> body

# Only these paths are ever read, so a folder source cannot be made to read anything else.
_PATH = re.compile(
    r"checkpoint|key|artifact/[0-9a-f]{64}|tile/[0-9]{1,2}/(?:x[0-9]{3}/){0,6}[0-9]{3}(?:\.p/[0-9]{1,3})?"
)


class LogUnavailable(Exception):
    """The log could not be read: unreachable, an error status, a missing file, too large."""


def http_fetch(url: str, limit: int, timeout: float = 10.0) -> bytes:
    """GET `url`; refuse anything but a 200 of at most `limit` bytes."""
    if not url.startswith(("https://", "http://")):
        raise LogUnavailable(f"not an http(s) address: {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            body = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise LogUnavailable(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LogUnavailable(f"could not fetch {url}: {exc}") from None
    if len(body) > limit:
        raise LogUnavailable(f"{url} sent more than {limit} bytes")
    return body


def is_url(location: str) -> bool:
    return str(location).startswith(("https://", "http://"))


def url_source(prefix: str, fetch: Fetch = http_fetch) -> Get:
    prefix = prefix.rstrip("/")

    def get(path: str, limit: int) -> bytes:
        return fetch(f"{prefix}/{path}", limit)

    return get


def folder_source(folder: Path | str) -> Get:
    folder = Path(folder)
    if not folder.is_dir():
        raise LogUnavailable(f"{folder} is not a folder")

    def get(path: str, limit: int) -> bytes:
        if not _PATH.fullmatch(path):
            raise LogUnavailable(f"not a path of the log: {path}")
        file = folder / path
        try:
            with file.open("rb") as handle:
                body = handle.read(limit + 1)
        except OSError as exc:
            raise LogUnavailable(f"{file}: {exc.strerror or exc}") from None
        if len(body) > limit:
            raise LogUnavailable(f"{file} holds more than {limit} bytes")
        return body

    return get


def log_source(location: str | Path, fetch: Fetch = http_fetch) -> Get:
    """The log at an http(s) address, or in a folder with the same layout."""
    return url_source(str(location), fetch) if is_url(str(location)) else folder_source(location)


def mirrored(get: Get, folder: Path | str) -> Get:
    """`get`, also writing every body it returns under `folder` at its path (an offline copy)."""
    folder = Path(folder)

    def copy(path: str, limit: int) -> bytes:
        body = get(path, limit)
        if _PATH.fullmatch(path):
            write_atomic(folder / path, body)
        return body

    return copy


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` atomically: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
