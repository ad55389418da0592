"""`agepy check`: every entry's file exists, parses and is encrypted to exactly its keys,
every key of an entry is usable, and no .age file lies in the rules folder without an
entry. Headers only: no identity."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agepy._text import printable

if TYPE_CHECKING:
    from agepy.store.store import Store

__all__ = ["Finding", "check", "orphans"]

Kind = Literal["stale", "missing", "orphan", "unreadable", "invalid-key", "rotate"]


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the file (relative to the rules folder) and what is wrong."""

    kind: Kind
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {printable(self.file)}: {printable(self.message)}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "message": self.message}


def orphans(root: Path, known: set[str]) -> list[str]:
    """.age files under ``root`` (hidden folders skipped) whose relative path is unknown."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".age") and not name.startswith("."):
                relative = os.path.relpath(Path(folder) / name, root)
                if relative not in known:
                    found.append(relative)
    return found


def check(store: Store) -> list[Finding]:
    """Every problem of the store, entries in name order, then orphans."""
    rules = store.rules
    findings: list[Finding] = []
    known: set[str] = set()
    for secret in sorted(rules, key=lambda s: s.name):
        relative = os.path.relpath(secret.file, rules.dir)
        known.add(os.path.normpath(relative))
        status, reasons = store.status_of(secret)
        for warning in secret.invalid_keys:
            where = f"{rules.path.name}:{warning.line}" if warning.line else rules.path.name
            findings.append(Finding("invalid-key", relative, f"{warning.message} ({where})"))
        if secret.invalid_keys and status == "stale":
            continue  # the reasons are the invalid keys, reported just above
        if status != "ok":
            findings.append(Finding(status, relative, "; ".join(reasons)))
    for relative in orphans(rules.dir, known):
        findings.append(
            Finding("orphan", relative, f"no entry in {rules.path.name} (add one, or delete it)")
        )
    return findings
