"""The tile layout of c2sp.org/tlog-tiles: tiles of 256 hashes (height 8), and their paths.

Shared by the server (/log/tile/...) and the witness; no Django here.
"""

from __future__ import annotations

import re

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63
_GROUP = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")


def tile_index_path(index: int) -> str:
    """N as the spec writes it in a path: 1234067 -> x001/x234/067."""
    digits = str(index).zfill(3)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{group}" for group in groups[:-1]] + [groups[-1]])


def tile_index(path: str) -> int | None:
    """N from its path form, or None unless `path` is exactly that form (at most 7 groups)."""
    parts = path.split("/")
    if (
        len(parts) > 7
        or not all(_GROUP.fullmatch(part) for part in parts[:-1])
        or not _LAST.fullmatch(parts[-1])
    ):
        return None
    index = int("".join(part.lstrip("x") for part in parts))
    return index if tile_index_path(index) == path else None


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """tile/<L>/<N>[.p/<W>], the .p/<W> only for a partial tile."""
    return f"tile/{level}/{tile_index_path(index)}" + ("" if width == TILE_WIDTH else f".p/{width}")
