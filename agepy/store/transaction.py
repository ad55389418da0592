"""The one way agepy changes a store: lock, snapshot, write, restore on failure.

Every command that writes — `edit NEW`, `generate`, `rotate`, rekey, the Matrix secrets,
and through :mod:`agepy.ops` `add-host` and `rescan` — runs its writes inside a
:class:`Transaction`:

1. the store's write lock (:func:`agepy._lock.store_lock`, re-entrant in a process), held
   from before the rules are read until the last write;
2. a snapshot of the files the caller may change (:meth:`Transaction.protect`; adding a
   secrets.nix entry protects secrets.nix itself);
3. the writes, each atomic (:func:`agepy._files.atomic_write` underneath);
4. on any failure, the snapshots put back (a new file removed), but only where the file
   is still as this process wrote it (:func:`agepy._files.restore_on_failure`).

Rekey protects nothing: each file is replaced atomically on its own, and one that
changed under it is left alone (the writer's stamps, :mod:`agepy.store.writer`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from agepy._files import restore_on_failure
from agepy._lock import store_lock
from agepy.store.new_entry import add_entry

if TYPE_CHECKING:
    from agepy.rules import Secret
    from agepy.store.store import Store

__all__ = ["Transaction"]


class Transaction:
    """The writes of one command to one store, as a context manager.

    ``files``: what to snapshot on entering (more with :meth:`protect`); ``reload``:
    forget the store's loaded rules once the lock is held, to see what another writer
    changed before (an operation that loaded the rules under the lock already says no).
    """

    def __init__(self, store: Store, files: Iterable[Path] = (), *, reload: bool = False) -> None:
        self._store = store
        self._files = list(files)
        self._reload = reload
        self._protected: set[Path] = set()
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Self:
        self._stack.enter_context(store_lock(self._store.rules_path))
        try:
            if self._reload:
                self._store.reload()
            self.protect(self._files)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Restores (newest snapshot first), then releases the lock; never swallows.
        self._stack.__exit__(exc_type, exc, tb)

    @property
    def store(self) -> Store:
        """The store written to."""
        return self._store

    def protect(self, files: Iterable[Path]) -> None:
        """Snapshot ``files`` now: a failure before the transaction ends puts them back
        (removes them if they did not exist)."""
        new = [path for path in files if path not in self._protected]
        self._protected.update(new)
        if new:
            self._stack.enter_context(restore_on_failure(new))

    def add_entry(
        self, name: str | Path, recipients: Sequence[str], hosts: Sequence[str] = ()
    ) -> Secret:
        """Add the secrets.nix entry for a new secret (see :func:`agepy.store.new_entry.add_entry`),
        taken back out if the transaction fails."""
        self.protect([self.store.rules_path])
        return add_entry(self.store, name, recipients, hosts)

    def write_secret(self, secret: Secret, plaintext: bytes) -> None:
        """Encrypt ``plaintext`` to the entry's keys and replace its file."""
        self.store.write_secret(secret, plaintext)

    def write_secrets(self, plaintexts: Mapping[str, bytes]) -> None:
        """Encrypt each plaintext to its entry's keys, as the rules now list them."""
        store = self.store
        for name, plaintext in plaintexts.items():
            store.write(name, plaintext)
