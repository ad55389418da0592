"""Text shown to people: names from files are escaped, never trusted to be one line."""

from __future__ import annotations

__all__ = ["printable"]


def printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\n``,
    ``\\x1b``): a newline in a secret's name must not forge lines of output."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
