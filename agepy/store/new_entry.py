"""A secret that secrets.nix does not list yet: its entry name, adding the entry (for
`edit NEW`, `generate NEW`) from keys, key names and inventory hosts, and `edit NEW`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from agepy.errors import Reason, RulesError, StoreError
from agepy.rules import add_secret
from agepy.store.edit_session import edit_secret

if TYPE_CHECKING:
    from agepy.rules import Secret
    from agepy.store.store import Store
    from agepy.store.transaction import Transaction

__all__ = ["NothingWrittenError", "add_entry", "edit_new", "entry_exists", "entry_name"]


def entry_name(store: Store, name: str | Path) -> str:
    """The entry name for a new file: its path relative to the rules folder."""
    path = Path(name)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return os.path.relpath(os.path.normpath(absolute), store.rules_path.parent)
    except ValueError:
        return str(name)


def entry_exists(store: Store, entry: str) -> StoreError:
    """The error for recipients or hosts given for a name that already has an entry."""
    return StoreError(
        f"{entry} already has an entry; recipients and hosts only make new ones",
        hint=f"change its keys in {store.rules_path.name}, then rekey it",
        reason=Reason.ENTRY_EXISTS,
        details={"name": entry, "rules": store.rules_path.name},
    )


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


class NothingWrittenError(Exception):
    """A new entry's edit wrote no file: its transaction takes the entry back out."""


def edit_new(
    store: Store,
    transaction: Transaction,
    name: str | Path,
    recipients: Sequence[str],
    hosts: Sequence[str],
    *,
    editor: str | None,
    allow_disk: bool,
    stdin: IO[bytes] | bytes | None,
) -> bool:
    """`edit NEW`: add the entry, then edit its file; True if written, else
    NothingWrittenError (raised, so that ``transaction`` undoes the entry)."""
    # A new entry without its file (editor failed, left it empty, Ctrl-C) is taken
    # back out, so that a failed edit changes nothing on disk; only if secrets.nix is
    # still as agepy wrote it (a change made by hand meanwhile stays).
    try:
        secret = transaction.add_entry(name, recipients, hosts)
        secret.ensure_encryptable()
        if not edit_secret(store, secret, editor=editor, allow_disk=allow_disk, stdin=stdin):
            raise NothingWrittenError
    finally:
        store.reload()
    return True
