"""How each generated secret is made: the ``[secrets."NAME"]`` tables of agepy.toml.

A record holds the generator's kind, all its options and, for key pairs, the public
half; never the secret's value. The hosts inventory shares the file and keeps these
tables as they are when it saves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agepy.errors import HostError, StoreError
from agepy.generators import OptionValue
from agepy.hosts.inventory import Inventory

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


def _inventory(rules_path: Path) -> Inventory:
    try:
        return Inventory.load(rules_path)
    except HostError as exc:
        raise StoreError(
            exc.message, hint=exc.hint, reason=exc.reason, details=exc.details
        ) from None


def load_records(rules_path: Path) -> dict[str, GeneratorRecord]:
    """Every recorded generator, by secret name (empty without agepy.toml)."""
    inventory = _inventory(rules_path)
    tables = inventory.other.get(SECRETS_TABLE, {})
    if not isinstance(tables, dict):
        raise _bad(inventory.path, "", "'secrets' must be a table of secrets")
    return {name: _record(inventory.path, name, table) for name, table in tables.items()}


def save_records(rules_path: Path, records: Mapping[str, GeneratorRecord]) -> bool:
    """Write ``records`` into agepy.toml (atomically); False when nothing changed."""
    inventory = _inventory(rules_path)
    before = inventory.dumps() if inventory.path.exists() else None
    if records:
        inventory.other[SECRETS_TABLE] = {n: records[n].to_toml() for n in sorted(records)}
    else:
        inventory.other.pop(SECRETS_TABLE, None)
    if inventory.dumps() == before or (before is None and not records):
        return False
    try:
        inventory.save()
    except OSError as exc:
        raise StoreError(
            f"cannot write {inventory.path}: {exc.strerror or exc}",
            hint="check the folder's permissions and free space",
        ) from None
    return True
