"""One command's view of a secrets folder, loaded once, and the one way it writes.

A multi-step command (add-host, rescan) used to reload secrets.nix and agepy.toml at
each step. A :class:`Workspace` loads the rules, the hosts inventory and the store once,
under the store's write lock, and reloads the rules only after it wrote secrets.nix.

Every write goes through :meth:`Workspace.transaction`, the store's one transaction
(:class:`agepy.store.transaction.Transaction`: lock, snapshot the files about to change,
write them, put the snapshots back if any later step fails) with the workspace's own
writes added: secrets.nix edits and the inventory. The checks that can fail (scans,
fingerprints, decrypting every affected secret, evaluating the edited secrets.nix) run
before it opens.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from agepy._locate import locate_rules
from agepy._lock import store_lock
from agepy.hosts.inventory import Inventory
from agepy.rules.model import Rules, load_rules
from agepy.rules.validate import Secret
from agepy.rules.verify import write_changes
from agepy.store.store import Store
from agepy.store.transaction import Transaction

__all__ = ["PromptFn", "Workspace", "WorkspaceTransaction", "open_workspace"]

PromptFn = Callable[[Path], str]


class Workspace:
    """The rules, the inventory and the store of one secrets.nix, each loaded once.

    ``identities``: private key files to decrypt with (None: the default ones);
    ``prompt`` asks a key's passphrase. Identities load on the first decryption.
    """

    def __init__(
        self,
        rules_path: Path,
        *,
        evaluator: str = "auto",
        identities: Sequence[Path] | None = None,
        prompt: PromptFn | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.rules = load_rules(rules_path, evaluator=evaluator)
        self.rules_path = self.rules.path
        self.inventory = Inventory.load(self.rules_path)
        self._store = Store(
            self.rules_path,
            evaluator=evaluator,
            identities=identities or None,
            prompt=prompt,
            hosts=lambda _path: self.inventory,
        )
        self._store_rules_stale = True

    @property
    def store(self) -> Store:
        """The store, seeing the same rules (with the inventory's names for messages)."""
        if self._store_rules_stale:
            named = dataclasses.replace(self.rules, extra_names={})
            named.add_names(self.inventory.names())
            self._store.use_rules(named)
            self._store_rules_stale = False
        return self._store

    def adopt_rules(self, secrets: Mapping[str, Secret] | None = None) -> None:
        """After secrets.nix was written: take ``secrets`` (an evaluation of the new text
        already checked before the write), else evaluate the file once more."""
        if secrets is None:
            self.rules = load_rules(self.rules_path, evaluator=self.evaluator)
        else:
            self.rules = Rules(path=self.rules_path, secrets=dict(secrets))
        self._store_rules_stale = True

    def inventory_changed(self) -> None:
        """The store names keys after the inventory: take its new state (no reread)."""
        self._store_rules_stale = True

    # --- reading and writing --------------------------------------------------------------

    def decrypt_all(self, names: Sequence[str]) -> dict[str, bytes]:
        """Every plaintext in memory, or an error before anything is written."""
        store = self.store
        return {name: store.decrypt(name) for name in names}

    def transaction(self, files: Iterable[Path]) -> WorkspaceTransaction:
        """The store's transaction over ``files`` (use it in a ``with``): if the body
        fails, every file agepy changed meanwhile is put back."""
        return WorkspaceTransaction(self, files)


class WorkspaceTransaction(Transaction):
    """A store transaction that also writes secrets.nix edits and the inventory, and
    keeps the workspace's view of both current."""

    def __init__(self, workspace: Workspace, files: Iterable[Path]) -> None:
        # The workspace loaded its rules under the lock already: no reload.
        super().__init__(workspace.store, files)
        self.workspace = workspace

    @property
    def store(self) -> Store:
        """The workspace's store, seeing the rules as this transaction left them."""
        return self.workspace.store

    def write_rules(
        self, changes: Mapping[Path, bytes], verified: Mapping[str, Secret] | None = None
    ) -> list[Path]:
        """Write checked edits of secrets.nix (and the files it imports); the workspace
        then sees the new rules (``verified``, or one new evaluation)."""
        written = write_changes(dict(changes))
        self.workspace.adopt_rules(verified)
        return written

    def save_inventory(self) -> None:
        self.workspace.inventory.save()
        self.workspace.inventory_changed()


@contextlib.contextmanager
def open_workspace(
    rules_path: Path | str | None,
    *,
    evaluator: str = "auto",
    identities: Sequence[Path] | None = None,
    prompt: PromptFn | None = None,
) -> Iterator[Workspace]:
    """A workspace held under the store's write lock from before it reads secrets.nix
    and agepy.toml until the command's last write: no concurrent run loses its change."""
    path = locate_rules(rules_path)
    with store_lock(path):
        yield Workspace(path, evaluator=evaluator, identities=identities, prompt=prompt)
