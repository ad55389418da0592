"""Rewriting the secrets a host change touches, all or nothing.

add-host and rescan decrypt every affected secret into memory before the first write,
keep the old bytes of every file they will change, and put them back if a later step
fails (only files still as agepy wrote them: see :func:`agepy._files.restore_on_failure`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from agepy._files import restore_on_failure
from agepy._lock import store_lock

__all__ = [
    "StoreAccess",
    "decrypt_all",
    "holding_store_lock",
    "open_store",
    "restore_on_failure",
    "write_all",
]

F = TypeVar("F", bound=Callable[..., Any])


def holding_store_lock(flow: F) -> F:
    """Run ``flow(rules_path, …)`` holding the store's write lock, from before it reads
    secrets.nix and agepy.toml until its last write: no concurrent run loses its change."""

    @functools.wraps(flow)
    def locked(rules_path: Path, *args: Any, **kwargs: Any) -> Any:
        with store_lock(rules_path):
            return flow(rules_path, *args, **kwargs)

    return cast(F, locked)


@dataclass
class StoreAccess:
    """How to reach the store: the user's identity files and passphrase prompt."""

    evaluator: str
    identities: Sequence[Path] | None
    prompt: Callable[[Path], str] | None


def open_store(rules_path: Path, access: StoreAccess) -> Any:
    from agepy.store import Store

    identities = list(access.identities or []) or None
    return Store(
        rules_path, evaluator=access.evaluator, identities=identities, prompt=access.prompt
    )


def decrypt_all(rules_path: Path, access: StoreAccess, names: Sequence[str]) -> dict[str, bytes]:
    """Every plaintext in memory, or an error before anything is written."""
    if not names:
        return {}
    store = open_store(rules_path, access)
    return {name: store.decrypt(name) for name in names}


def write_all(rules_path: Path, access: StoreAccess, plain: dict[str, bytes]) -> None:
    """Encrypt each plaintext to its entry's keys as secrets.nix now lists them."""
    if not plain:
        return
    store = open_store(rules_path, access)
    for name, plaintext in plain.items():
        store.write(name, plaintext)
