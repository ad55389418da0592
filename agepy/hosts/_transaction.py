"""Rewriting the secrets a host change touches, all or nothing.

add-host and rescan decrypt every affected secret into memory before the first write,
keep the old bytes of every file they will change, and put them back if a later step
fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["StoreAccess", "decrypt_all", "open_store", "restore_on_failure", "write_all"]


@contextlib.contextmanager
def restore_on_failure(paths: Sequence[Path]) -> Iterator[None]:
    """Keep the bytes of ``paths``; if the body fails, put them back (or remove new files)."""
    from agepy.age import atomic_write

    saved: dict[Path, tuple[bytes | None, int]] = {}
    for path in paths:
        try:
            saved[path] = (path.read_bytes(), path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            saved[path] = (None, 0o644)
    try:
        yield
    except BaseException:
        for path, (data, mode) in saved.items():
            with contextlib.suppress(OSError):
                if data is None:
                    path.unlink(missing_ok=True)
                elif not path.exists() or path.read_bytes() != data:
                    atomic_write(path, data, mode=mode)
        raise


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
