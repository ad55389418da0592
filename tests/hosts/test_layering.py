"""hosts/ is scanning, known_hosts and the inventory: it never reaches up into the store,
the operations or the CLI (add-host and rescan live in agepy.ops)."""

from __future__ import annotations

import ast
from pathlib import Path

import agepy.hosts

ABOVE = ("agepy.store", "agepy.ops", "agepy.cli", "agepy.matrix")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_hosts_imports_nothing_above_it() -> None:
    folder = Path(agepy.hosts.__file__).parent
    found = {
        f"{path.name}: {name}"
        for path in sorted(folder.glob("*.py"))
        for name in _imports(path)
        if name.startswith(ABOVE)
    }
    assert not found
