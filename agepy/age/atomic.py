"""Atomic file writes: a temp file in the target's folder, fsync, rename.

An interrupted or failed write leaves the old file untouched and no temp file behind
(short of SIGKILL, which can leave a ``.NAME.*.tmp`` file but never a half-written NAME).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_output", "atomic_path", "atomic_write"]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename is still atomic
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path, *, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temp path beside ``path`` (created with ``mode``); on success move it there.

    For writers that take a file name (pyrage.encrypt_file). OSError propagates.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path()
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        os.fchmod(fd, mode)
        os.close(fd)
        yield temp
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        temp.replace(path)
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


@contextlib.contextmanager
def atomic_output(path: Path, *, mode: int = 0o644, buffering: int = -1) -> Iterator[BinaryIO]:
    """Yield a binary file object; on success it replaces ``path`` atomically.

    ``buffering`` as for open(): 0 gives a raw file for writers of large blocks.
    """
    with atomic_path(path, mode=mode) as temp, temp.open("wb", buffering=buffering) as handle:
        yield handle
        handle.flush()


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically, the file getting permissions ``mode``."""
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)
