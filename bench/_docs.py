"""What the bench scripts share: rewriting their own section of docs/benchmarks.md."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def ram_text() -> str:
    """'24 GiB RAM, ' from /proc/meminfo, or '' where there is none."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM, "
    except OSError:
        pass
    return ""


def rewrite_section(start: str, end: str, section: str) -> None:
    """Replace the text between the start and end markers (inclusive), or append it."""
    text = DOCS.read_text()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    else:
        text = pattern.sub(lambda _match: section, text, count=1)
    DOCS.write_text(text)


def machine_text() -> str:
    """The machine a figure was measured on, for the docs."""
    import os
    import platform
    import sqlite3

    return (
        f"{os.cpu_count()} CPUs ({platform.machine()}), {ram_text()}"
        f"{platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
