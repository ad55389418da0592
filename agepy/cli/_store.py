"""The store a command works on, opened the same way by every command module."""

from __future__ import annotations

from pathlib import Path

from agepy.cli._common import announce_rules, prompt_passphrase
from agepy.hosts.inventory import Inventory
from agepy.store import Store

__all__ = ["open_store"]


def open_store(
    rules: Path | None,
    evaluator: str = "auto",
    identities: tuple[Path, ...] = (),
    *,
    allow_outside: bool = False,
    files_from_cwd: bool = False,
) -> Store:
    """The store of ``rules`` (--rules, $RULES, or found), naming hosts after agepy.toml and
    asking passphrases on the terminal; says which rules file when found elsewhere."""
    store = Store(
        rules,
        evaluator=evaluator,
        identities=list(identities) or None,
        prompt=prompt_passphrase,
        allow_outside=allow_outside,
        hosts=Inventory.load,
        files_dir=Path.cwd() if files_from_cwd else None,
    )
    announce_rules(store.rules_path, rules)
    return store
