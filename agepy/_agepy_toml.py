"""agepy.toml, beside secrets.nix: the file where agepy keeps its own records.

Several layers share it: the hosts inventory (``[hosts.*]``, in ``agepy.hosts``), the
records of generated secrets (``[secrets.*]``), rotations (``[[rotations]]``) and settings
(``[history]``, all in ``agepy.store``). Each reads the whole document and writes it back
with only its own tables changed, through this module, so that none of them imports
another to keep the rest of the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from agepy._files import atomic_write
from agepy.errors import AgepyError

__all__ = ["FILE_NAME", "HEADER", "dumps", "path_for", "read", "write"]

FILE_NAME = "agepy.toml"
HEADER = (
    "# agepy host inventory: where each host lives and the SSH host keys it presented.\n"
    "# secrets.nix decides who can read which secret; `agepy rescan NAME` updates both.\n\n"
)

BadFile = Callable[[Path, str], AgepyError]


def path_for(rules_path: Path | str) -> Path:
    """agepy.toml in the folder of secrets.nix (through symlinks)."""
    return Path(rules_path).resolve().parent / FILE_NAME


def read(path: Path, bad: BadFile) -> dict[str, Any]:
    """The document at ``path``; empty when there is none. ``bad(path, what)`` makes the
    error of the calling layer for a file that is not TOML or cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise bad(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise bad(path, f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise bad(path, f"cannot read it: {exc.strerror or exc}") from None


def dumps(document: dict[str, Any], lead: str = HEADER) -> str:
    """The file's text: ``lead`` (comment lines) and the tables."""
    return lead + tomli_w.dumps(document)


def _leading_comments(path: Path) -> str | None:
    """The file's first comment block, so that a rewrite keeps what the user wrote there."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    comments = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            comments.append(line)
        elif line.strip():
            break
    return "".join(comments) + "\n" if comments else None


def write(path: Path, document: dict[str, Any], *, keep_comments: bool = True) -> None:
    """Write ``document`` atomically (0644 for a new file); OSError is the caller's to word."""
    lead = (_leading_comments(path) if keep_comments else None) or HEADER
    atomic_write(path, dumps(document, lead).encode(), mode=0o644)
