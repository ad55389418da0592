"""`agepy list`: one row per secrets.nix entry, with its file's status."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agepy.store.status import Status, display_path

if TYPE_CHECKING:
    from agepy.rules import RuleWarning
    from agepy.store.store import Store

__all__ = ["ListRow", "list_rows"]


@dataclass(frozen=True)
class ListRow:
    """One secret as `agepy list` shows it."""

    name: str
    file: Path
    public_keys: list[str]
    recipients: list[str]
    armor: bool
    exists: bool
    status: Status
    warnings: tuple[RuleWarning, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": display_path(self.file),
            "publicKeys": self.public_keys,
            "recipients": self.recipients,
            "armor": self.armor,
            "exists": self.exists,
            "status": self.status,
            # Only when there is one: most entries have none (docs/json.md).
            **({"warnings": [w.to_json() for w in self.warnings]} if self.warnings else {}),
        }


def list_rows(store: Store) -> list[ListRow]:
    """One row per entry of ``store``, in name order."""
    rules = store.rules
    rows = []
    for secret in sorted(rules, key=lambda s: s.name):
        status, _ = store.status_of(secret)
        rows.append(
            ListRow(
                name=secret.name,
                file=secret.file,
                public_keys=list(secret.public_keys),
                recipients=[rules.name_of(k) for k in secret.public_keys],
                armor=secret.armor,
                exists=secret.file.exists(),
                status=status,
                warnings=secret.warnings,
            )
        )
    return rows
