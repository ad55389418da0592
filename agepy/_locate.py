"""Finding secrets.nix: as agenix does (``$RULES``, else ``./secrets.nix``), plus the places
a flake keeps it, so that agepy also works from the repository's root or a subfolder.

Looked for, in order: ``--rules PATH``, ``$RULES``, ``./secrets.nix``,
``./secrets/secrets.nix`` (a flake's root), then ``secrets.nix`` and
``secrets/secrets.nix`` in each parent folder up to the repository root (the folder
holding ``.git``). Outside a repository no parent folder is searched.
"""

from __future__ import annotations

import os
from pathlib import Path

from agepy.errors import Reason, RulesError

__all__ = ["RULES_FILE_NAME", "discover_rules", "locate_rules", "rules_in_reach"]

RULES_FILE_NAME = "secrets.nix"
# Below a folder: where a flake keeps its rules (agenix issues #201, #316).
_NESTED = Path("secrets") / RULES_FILE_NAME
_HINT = "run from the folder holding secrets.nix, or give its path (or set RULES=PATH)"


def _repository_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def discover_rules(folder: Path) -> Path | None:
    """The rules file found from ``folder`` without --rules or $RULES, if any."""
    here = [folder / RULES_FILE_NAME, folder / _NESTED]
    for candidate in here:
        if candidate.is_file():
            return candidate
    root = _repository_root(folder)
    if root is None or root == folder:
        return None
    for parent in folder.parents:
        for candidate in (parent / RULES_FILE_NAME, parent / _NESTED):
            if candidate.is_file():
                return candidate
        if parent == root:
            break
    return None


def rules_in_reach(path: Path | str | None = None) -> bool:
    """Whether a rules file was named (``path``, $RULES) or is found from here."""
    if path is not None or os.environ.get("RULES"):
        return True
    return discover_rules(Path.cwd()) is not None


def locate_rules(path: Path | str | None = None) -> Path:
    """The rules file: ``path`` (--rules), else $RULES, else found by :func:`discover_rules`.

    A folder given as ``path`` or $RULES means its ``secrets.nix``.
    """
    if path is not None:
        candidate, origin = Path(path), "the path given"
    elif os.environ.get("RULES"):
        candidate, origin = Path(os.environ["RULES"]), "$RULES"
    else:
        found = discover_rules(Path.cwd())
        if found is None:
            raise RulesError(
                "no rules file: no secrets.nix or secrets/secrets.nix here, nor in a parent "
                "folder of this repository",
                hint=_HINT,
                reason=Reason.NO_RULES_FILE,
            )
        return found.absolute()
    if candidate.is_dir():
        candidate = candidate / RULES_FILE_NAME
    if not candidate.is_file():
        raise RulesError(
            f"no rules file {candidate} (from {origin})", hint=_HINT, reason=Reason.NO_RULES_FILE
        )
    return candidate.absolute()
