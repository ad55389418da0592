"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists ``public name -> module`` and gets a ``__getattr__`` that imports the
module on first use, so importing one submodule (say ``agepy.hosts.inventory`` for a
rekey) does not load its siblings (asyncio, the keyscan code).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], table: Mapping[str, str]
) -> Callable[[str], Any]:
    """The ``__getattr__`` for ``package``: ``name`` comes from ``table[name]``."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
