"""Rekey on several cores: forked worker processes, each re-encrypting a few files.

pyrage holds the GIL, so threads do not help; forked workers inherit the loaded rules
and the unlocked identities (no second passphrase prompt, no second evaluation of
secrets.nix). Each worker writes its files atomically, as the serial path does, and dies
with its parent (PR_SET_PDEATHSIG), so a killed run leaves no worker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from agepy.errors import AgepyError, StoreError

if TYPE_CHECKING:
    from agepy.store.store import Store

__all__ = ["MIN_PARALLEL", "default_jobs", "rekey_files", "rekey_parallel"]

# Below this many files, forking costs more than it saves.
MIN_PARALLEL = 24
_CHUNK = 8
_PR_SET_PDEATHSIG = 1

Outcome = tuple[str, str | None, str | None]  # name, error message, hint

_STORE: Store | None = None  # set in the parent just before forking; workers inherit it


def default_jobs(count: int) -> int:
    """How many worker processes for ``count`` files (1: do it in this process)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if count < MIN_PARALLEL or not sys.platform.startswith("linux"):
        return 1
    return max(1, min(cpus or 1, 8))


def rekey_files(
    store: Store, names: Sequence[str], done: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Decrypt and re-encrypt each named file in this process; errors are collected.

    ``done`` hears of each file once its new version is in place (or failed)."""
    from agepy.store.writer import BatchWriter

    outcomes: list[Outcome] = []
    with BatchWriter(on_commit=None if done is None else lambda p: done(by_file.pop(p))) as w:
        by_file: dict[Path, Outcome] = {}
        for name in names:
            secret = store.rules.secrets[name]
            try:
                outcome: Outcome = (name, None, None)
                by_file[secret.file] = outcome
                store.write_secret(secret, store.decrypt_secret(secret), w)
            except AgepyError as exc:
                by_file.pop(secret.file, None)
                outcome = (name, exc.message, exc.hint)
                if done is not None:
                    done(outcome)
            outcomes.append(outcome)
    return outcomes


def _work(names: Sequence[str]) -> list[Outcome]:
    assert _STORE is not None
    return rekey_files(_STORE, names)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _prepare(store: Store, names: Sequence[str]) -> None:
    """Load everything workers need, and unlock (ask passphrases) here, once."""
    from agepy.age import read_header

    rules = store.rules
    locked = [i for i in store.identities if i.encrypted and not i.unlocked]
    if not locked:
        return
    tags: set[str] = set()
    for name in names:
        with contextlib.suppress(AgepyError):
            tags.update(read_header(rules.secrets[name].file).ssh_tags())
    for identity in locked:
        if identity.tag is None or identity.tag in tags:
            identity.to_pyrage()


def rekey_parallel(
    store: Store,
    names: Sequence[str],
    jobs: int,
    done: Callable[[Outcome], None],
) -> None:
    """Rekey ``names`` with ``jobs`` forked workers; ``done`` is called per file."""
    global _STORE
    _prepare(store, names)
    # A few equal chunks per worker: big enough to overlap fsyncs, small enough to
    # balance, and no small remainder left to run alone at the end.
    size = max(_CHUNK, -(-len(names) // (jobs * 4)))
    chunks = [list(names[i : i + size]) for i in range(0, len(names), size)]
    _STORE = store
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_die_with_parent) as pool:
            futures = [pool.submit(_work, chunk) for chunk in chunks]
            for future in as_completed(futures):
                for outcome in future.result():
                    done(outcome)
    except BrokenProcessPool:
        raise StoreError(
            "a rekey worker process died; files already rekeyed are complete",
            hint="run agepy rekey again: it picks up what is still stale",
        ) from None
    finally:
        _STORE = None
