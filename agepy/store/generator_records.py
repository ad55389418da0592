"""How each generated secret is made: the ``[secrets."NAME"]`` tables of agepy.toml.

A record holds the generator's kind, all its options and, for key pairs, the public
half; never the secret's value. The hosts inventory shares the file
(see :mod:`agepy._agepy_toml`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agepy import _agepy_toml
from agepy.errors import StoreError
from agepy.generators import OptionValue

__all__ = ["SECRETS_TABLE", "GeneratorRecord", "load_records", "save_records"]

SECRETS_TABLE = "secrets"


@dataclass
class GeneratorRecord:
    """One secret's generator: ``kind`` and its ``options``; ``public`` for key pairs."""

    kind: str
    options: dict[str, OptionValue] = field(default_factory=dict)
    public: str | None = None

    def to_toml(self) -> dict[str, Any]:
        table: dict[str, Any] = {"kind": self.kind}
        if self.public is not None:
            table["public"] = self.public
        table["options"] = dict(self.options)
        return table


def _bad(path: Path, name: str, what: str) -> StoreError:
    return StoreError(
        f"{path}: secrets.{name}: {what}",
        hint=f"fix {path.name} by hand, or remove that table and generate the secret again",
    )


def _record(path: Path, name: str, table: Any) -> GeneratorRecord:
    if not isinstance(table, dict) or not isinstance(table.get("kind"), str):
        raise _bad(path, name, "must be a table with a 'kind'")
    options = table.get("options", {})
    if not isinstance(options, dict) or not all(
        isinstance(v, str | int | bool) for v in options.values()
    ):
        raise _bad(path, name, "'options' must be a table of text, numbers and booleans")
    public = table.get("public")
    if public is not None and not isinstance(public, str):
        raise _bad(path, name, "'public' must be text")
    return GeneratorRecord(table["kind"], dict(options), public)


def _unreadable(path: Path, what: str) -> StoreError:
    return StoreError(
        f"{path}: {what}",
        hint=f"fix {path.name} by hand (it is TOML written by agepy), or move it away",
    )


def load_records(rules_path: Path) -> dict[str, GeneratorRecord]:
    """Every recorded generator, by secret name (empty without agepy.toml)."""
    path = _agepy_toml.path_for(rules_path)
    tables = _agepy_toml.read(path, _unreadable).get(SECRETS_TABLE, {})
    if not isinstance(tables, dict):
        raise _bad(path, "", "'secrets' must be a table of secrets")
    return {name: _record(path, name, table) for name, table in tables.items()}


def save_records(rules_path: Path, records: Mapping[str, GeneratorRecord]) -> bool:
    """Write ``records`` into agepy.toml (atomically); False when nothing changed."""
    path = _agepy_toml.path_for(rules_path)
    document = _agepy_toml.read(path, _unreadable)
    before = dict(document)
    if records:
        document[SECRETS_TABLE] = {n: records[n].to_toml() for n in sorted(records)}
    else:
        document.pop(SECRETS_TABLE, None)
    if document == before:
        return False
    try:
        _agepy_toml.write(path, document)
    except OSError as exc:
        raise StoreError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check the folder's permissions and free space",
        ) from None
    return True
