"""A private folder for plaintext on tmpfs, and signal handlers that unwind through it.

Plaintext must never reach persistent disk: it goes into a fresh 0700 folder under
``$XDG_RUNTIME_DIR`` or ``/dev/shm`` (both RAM-backed on Linux), and the folder is removed
on every exit path. SIGTERM and SIGHUP are turned into exceptions for the duration, so
``finally`` blocks run; SIGKILL cannot be caught, which is why the folder is on tmpfs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from agepy.errors import StoreError

__all__ = ["Terminated", "plaintext_dir", "private_dir", "raise_on_signals", "tmpfs_candidates"]

_PREFIX = "agepy-plain-"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; a KeyboardInterrupt so every layer unwinds the same way."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def tmpfs_candidates() -> list[Path]:
    """RAM-backed folders to try, in order: $XDG_RUNTIME_DIR, then /dev/shm."""
    candidates = []
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime:
        candidates.append(Path(runtime))
    candidates.append(Path("/dev/shm"))  # noqa: S108 - a RAM disk, and mkdtemp makes a 0700 folder in it
    return candidates


def _usable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def plaintext_dir(*, allow_disk: bool = False) -> Path:
    """The folder under which a private plaintext folder will be made."""
    for candidate in tmpfs_candidates():
        if _usable(candidate):
            return candidate
    if allow_disk:
        return Path(tempfile.gettempdir())
    raise StoreError(
        "no tmpfs folder for the plaintext: neither $XDG_RUNTIME_DIR nor /dev/shm is writable",
        hint="set XDG_RUNTIME_DIR to a tmpfs folder, or pass --allow-disk to use "
        f"{tempfile.gettempdir()} (the plaintext may then reach the disk)",
    )


def _wipe(folder: Path) -> None:
    # Overwrite before unlinking: cheap for small secrets, and it matters if the folder
    # had to live on disk (--allow-disk).
    for entry in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if entry.is_file() and not entry.is_symlink():
                size = entry.stat().st_size
                with entry.open("r+b") as handle:
                    handle.write(b"\0" * size)
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def private_dir(*, allow_disk: bool = False) -> Iterator[Path]:
    """A fresh 0700 folder for plaintext on tmpfs, removed (wiped) on exit."""
    base = plaintext_dir(allow_disk=allow_disk)
    try:
        folder = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=base))  # mkdtemp makes it 0700
    except OSError as exc:
        raise StoreError(
            f"cannot create a private folder in {base}: {exc.strerror or exc}",
            hint="check that the folder is writable, or set XDG_RUNTIME_DIR",
        ) from None
    try:
        yield folder
    finally:
        _wipe(folder)


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def raise_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`Terminated` (SIGINT already raises) meanwhile.

    Outside the main thread Python cannot install handlers; then this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        handler = signal.getsignal(signum)
        if signum == signal.SIGINT and handler is signal.default_int_handler:
            continue
        previous[signum] = handler
        signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
