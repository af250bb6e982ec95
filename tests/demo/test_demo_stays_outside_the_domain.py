"""The demo writes through the domain's services; the domain never depends on the demo."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ["accounts", "commitments", "reports", "config"]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_domain_imports_the_demo():
    importers = [
        str(path.relative_to(ROOT))
        for app in DOMAIN
        for path in (ROOT / app).rglob("*.py")
        if any(name == "demo" or name.startswith("demo.") for name in _imported_modules(path))
    ]

    assert importers == []
