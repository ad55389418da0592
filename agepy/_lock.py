"""One writer at a time per store: an advisory lock on the folder holding secrets.nix.

Every command that writes the .age files, secrets.nix or agepy.toml holds it from before
it reads what it will change until its last write, so two runs cannot lose each other's
updates. A second writer waits (saying so once) and gives up after a timeout. ``flock``
locks die with their process, so a killed run never leaves the store locked.

The lock is taken on the folder itself (Linux flocks a directory like a file), not on a
lock file: it leaves nothing on disk (a failed command changes nothing, and git sees no
new file), works in a folder the runner may not write, and the folder, unlike
secrets.nix, is never replaced by a rename.

The lock is re-entrant within a process (flock would deadlock against a second open of
the same file), so library calls that lock can nest.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from agepy.errors import StoreError

__all__ = ["lock_timeout", "store_lock"]

_DEFAULT_TIMEOUT = 120.0
# Polling for the lock starts at a millisecond and doubles up to 50 ms: a short wait (a
# concurrent writer about to finish) ends soon after it could, a long one costs little.
_FIRST_POLL = 0.001
_MAX_POLL = 0.05

# locked folder (resolved) -> (descriptor, depth)
_held: dict[Path, tuple[int, int]] = {}


def lock_timeout() -> float:
    """Seconds to wait for another writer: $AGEPY_LOCK_TIMEOUT, else two minutes."""
    try:
        return max(0.0, float(os.environ.get("AGEPY_LOCK_TIMEOUT", "")))
    except ValueError:
        return _DEFAULT_TIMEOUT


def _say(message: str) -> None:
    print(f"agepy: {message}", file=sys.stderr, flush=True)


def _lock_target(rules_path: Path) -> Path:
    """The folder of the rules file (``rules_path`` may also name that folder)."""
    real = Path(os.path.realpath(rules_path))
    return real if real.is_dir() else real.parent


@contextlib.contextmanager
def store_lock(
    rules_path: Path,
    *,
    timeout: float | None = None,
    notify: Callable[[str], None] | None = _say,
) -> Iterator[None]:
    """Hold the write lock of the store whose rules file (or its folder) is ``rules_path``.

    ``notify`` hears once that this run waits for another. StoreError after ``timeout``
    seconds (default :func:`lock_timeout`), or when the lock file cannot be made.
    """
    path = _lock_target(rules_path)
    if path in _held:
        fd, depth = _held[path]
        _held[path] = (fd, depth + 1)
        try:
            yield
        finally:
            _release(path)
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise StoreError(
            f"cannot open {path} to lock it: {exc.strerror or exc}",
            hint="check that the folder of secrets.nix exists and is readable",
        ) from None
    try:
        _acquire(fd, path, lock_timeout() if timeout is None else timeout, notify)
    except BaseException:
        os.close(fd)
        raise
    _held[path] = (fd, 1)
    try:
        yield
    finally:
        _release(path)


def _acquire(fd: int, path: Path, timeout: float, notify: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + timeout
    told = False
    poll = _FIRST_POLL
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if not told and notify is not None:
            notify(f"waiting for another agepy writing in {path} …")
            told = True
        if time.monotonic() >= deadline:
            raise StoreError(
                f"another agepy is still writing in {path} (gave up after {timeout:g} s)",
                hint="let it finish and run this again (AGEPY_LOCK_TIMEOUT sets the wait)",
            )
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        poll = min(poll * 2, _MAX_POLL)


def _release(path: Path) -> None:
    fd, depth = _held[path]
    if depth > 1:
        _held[path] = (fd, depth - 1)
        return
    del _held[path]
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
