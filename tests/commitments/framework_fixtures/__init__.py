"""Framework definitions for the loader and export tests, and helpers to write variants of them."""

from pathlib import Path
from typing import Any

import yaml

FIXTURES_DIR = Path(__file__).parent


def fixture_definition(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture file's content, e.g. `fixture_definition("tiny-1.0")`."""
    return yaml.safe_load((FIXTURES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def definition_write(directory: Path, data: dict[str, Any], name: str | None = None) -> Path:
    """Write `data` as a framework file into `directory` and return its path."""
    path = directory / f"{name or data['key'] + '-' + data['version']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(item for item in data["nodes"] if item["id"] == node_id)
