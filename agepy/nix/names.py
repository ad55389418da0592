"""Name the recipients of a secrets.nix after the bindings they come from."""

from __future__ import annotations

from pathlib import Path

__all__ = ["key_names"]


def key_names(path: Path | str) -> dict[str, str]:
    """Recipient text (without comment) -> binding name; see module docs."""
    return {}
