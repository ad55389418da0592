"""The history scan's cache: what git objects held, kept by their ids between runs.

In ``.git/agepy/`` (or, in a repository this user cannot write to, under
$XDG_CACHE_HOME): header summaries by blob id, past secrets.nix evaluations by the digest
of their folder, and the last result by HEAD. Unreadable, damaged or unwritable means no
cache, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from agepy.store.gitread import GitRepo

__all__ = ["CACHE_VERSION", "HistoryCache", "valid_summary"]

CACHE_VERSION = 1


def valid_summary(summary: Any) -> bool:
    """A cached header summary of the right shape (None: not an age file)."""
    if summary is None:
        return True
    return (
        isinstance(summary, list)
        and len(summary) == 2
        and isinstance(summary[0], list)
        and all(isinstance(tag, str) for tag in summary[0])
        and isinstance(summary[1], int)
    )


class HistoryCache:
    """The JSON cache file; unreadable or unwritable means no cache, never an error."""

    def __init__(self, repo: GitRepo) -> None:
        folder = _cache_folder(repo)
        # The last result apart from the objects: a scan of an unchanged HEAD reads
        # only that file.
        self.path = folder / f"history-v{CACHE_VERSION}.json"
        self.result_path = folder / f"history-v{CACHE_VERSION}-result.json"
        self.result = _read_json(self.result_path)
        self._objects: dict[str, dict[str, Any]] | None = None

    def _load_objects(self) -> dict[str, dict[str, Any]]:
        if self._objects is None:
            data = _read_json(self.path)
            self._objects = {}
            for name in ("headers", "states", "trees"):
                table = data.get(name)
                self._objects[name] = table if isinstance(table, dict) else {}
        return self._objects

    @property
    def headers(self) -> dict[str, Any]:
        return self._load_objects()["headers"]

    @property
    def states(self) -> dict[str, Any]:
        return self._load_objects()["states"]

    @property
    def trees(self) -> dict[str, str]:
        return self._load_objects()["trees"]

    def save(self) -> None:
        _write_json(self.path, self._load_objects())
        _write_json(self.result_path, self.result)


def _cache_folder(repo: GitRepo) -> Path:
    """``.git/agepy``; in a repository this user cannot write to (a CI checkout of
    another user), a folder of its own under $XDG_CACHE_HOME (~/.cache)."""
    if os.access(repo.git_dir, os.W_OK):
        return repo.git_dir / "agepy"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(repo.git_dir.resolve()).encode()).hexdigest()[:16]
    return base / "agepy" / f"history-{digest}"


def _read_json(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            return data
    return {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(data, separators=(",", ":")))
        temporary.replace(path)
