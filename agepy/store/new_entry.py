"""A secret that secrets.nix does not list yet: its entry name, and adding the entry
(for `edit NEW`, `generate NEW`) from keys, key names and inventory hosts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agepy.errors import Reason, RulesError, StoreError
from agepy.rules import add_secret

if TYPE_CHECKING:
    from agepy.rules import Secret
    from agepy.store.store import Store

__all__ = ["add_entry", "entry_name"]


def entry_name(store: Store, name: str | Path) -> str:
    """The entry name for a new file: its path relative to the rules folder."""
    path = Path(name)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return os.path.relpath(os.path.normpath(absolute), store.rules_path.parent)
    except ValueError:
        return str(name)


def add_entry(
    store: Store, name: str | Path, recipients: Sequence[str], hosts: Sequence[str] = ()
) -> Secret:
    """Add the entry ``name`` to secrets.nix for ``recipients`` (keys or their names)
    and ``hosts`` (hosts of the inventory); the caller holds a transaction that has
    secrets.nix in its snapshot (:class:`agepy.store.transaction.Transaction`)."""

    items, entry = [*recipients, *_host_items(store, hosts)], entry_name(store, name)
    if not items:
        raise RulesError(
            f"no entry {entry!r} in the rules",
            file=store.rules_path,
            hint=f'add "{entry}".publicKeys = [ … ]; to {store.rules_path.name}, or give '
            "its recipients or hosts",
            reason=Reason.NO_RECIPIENTS_FOR_ENTRY,
            details={"entry": entry, "rules": store.rules_path.name},
        )
    add_secret(store.rules_path, entry, items, evaluator=store.evaluator)
    store.reload()
    return store.rules.get(entry)


def _host_items(store: Store, hosts: Sequence[str]) -> list[str]:
    """Each host as its binding name in secrets.nix, else its key from agepy.toml."""
    if not hosts:
        return []

    book = store.host_book()
    bound = set(store.rules.key_names.values())
    items = []
    for name in hosts:
        if name in bound:
            items.append(name)
        elif book is None:
            raise StoreError(f"no host {name!r} in secrets.nix", hint="bind it to its key")
        else:
            items.append(book.host_key(name))
    return items
