"""agepy's own source files, parsed once per test process for the tests that read them."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

__all__ = ["parsed"]


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of the Python file ``path`` (callers must not change it)."""
    return ast.parse(path.read_text(encoding="utf-8"), str(path))
