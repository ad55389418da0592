"""The ``[[rotations]]`` records and the ``[history]`` settings of agepy.toml.

agepy.toml (beside secrets.nix) also holds the host inventory; this module reads and
rewrites only its own tables and keeps every other table as it was.

    [history]
    rotation-check = false     # a team that accepts the risk of old versions in git

    [[rotations]]
    secret = "wifi.age"
    date = "2026-12-02T04:00:00Z"
    keys = ["SHA256:…"]        # the keys the new value answered for
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agepy import _agepy_toml
from agepy.errors import StoreError
from agepy.store.exposure import Rotation

__all__ = ["CONFIG_NAME", "add_rotations", "load_rotations", "rotation_check_enabled"]

CONFIG_NAME = _agepy_toml.FILE_NAME


def _path(rules_path: Path) -> Path:
    return _agepy_toml.path_for(rules_path)


def _bad(path: Path, what: str) -> StoreError:
    return StoreError(f"{path.name}: {what}", hint=f"fix {path} (it is TOML)")


def _load(path: Path) -> dict[str, Any]:
    return _agepy_toml.read(path, _bad)


def rotation_check_enabled(rules_path: Path) -> bool:
    """False when agepy.toml says ``[history] rotation-check = false``."""
    table = _load(_path(rules_path)).get("history", {})
    value = table.get("rotation-check", True) if isinstance(table, dict) else True
    if not isinstance(value, bool):
        raise _bad(_path(rules_path), "history.rotation-check must be true or false")
    return value


def load_rotations(rules_path: Path) -> list[Rotation]:
    """Every recorded rotation, oldest first."""
    path = _path(rules_path)
    records = _load(path).get("rotations", [])
    if not isinstance(records, list):
        raise _bad(path, "rotations must be an array of tables ([[rotations]])")
    found = []
    for record in records:
        if not isinstance(record, dict):
            raise _bad(path, "each rotation must be a table ([[rotations]])")
        secret, date, keys = (record.get(k) for k in ("secret", "date", "keys"))
        if not (isinstance(secret, str) and isinstance(date, str) and isinstance(keys, list)):
            raise _bad(path, "each [[rotations]] needs secret, date and keys")
        rotation = Rotation(secret, date, tuple(str(k) for k in keys))
        try:
            rotation.time  # noqa: B018 - validates the date now, not in the middle of a report
        except ValueError:
            raise _bad(path, f"rotation of {secret}: bad date {date!r}") from None
        found.append(rotation)
    return found


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def add_rotations(rules_path: Path, rotations: Iterable[Rotation]) -> None:
    """Append records to agepy.toml atomically, keeping every other table."""
    path = _path(rules_path)
    data = _load(path)
    records = data.setdefault("rotations", [])
    if not isinstance(records, list):
        raise _bad(path, "rotations must be an array of tables ([[rotations]])")
    for rotation in rotations:
        records.append(
            {"secret": rotation.secret, "date": rotation.date, "keys": list(rotation.keys)}
        )
    try:
        _agepy_toml.write(path, data)
    except OSError as exc:
        raise StoreError(
            f"cannot write {path}: {exc.strerror or exc}", hint="check the folder's permissions"
        ) from None
