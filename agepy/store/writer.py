"""Atomic replacement of many files at once, with the file-system work overlapped.

Each file is still written the safe way (a temp file in the same folder, fsync, rename),
but a rekey of hundreds of files would spend much of its time in those system calls:
fsync waits for the disk, and on a journaling file system creating and renaming files
waits for the journal commits that other fsyncs start. Here each file's whole write runs
on a small thread pool (system calls release the GIL) while the next files are
encrypted, and a file is renamed into place only once its own fsync is done. Killed at
any moment, every file is either old or new; a leftover temp file (``.NAME.*.tmp``) is
removed by the next rekey.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from agepy.errors import StoreError

__all__ = ["BatchWriter", "remove_leftover_temps"]

_THREADS = 8
# Data waiting to be written is held in memory: large secrets wait for fewer files.
_MAX_PENDING_BYTES = 64 << 20


def remove_leftover_temps(files: list[Path]) -> int:
    """Remove the temp files that killed atomic writes of ``files`` left; how many."""
    by_folder: dict[Path, set[str]] = {}
    for file in files:
        by_folder.setdefault(file.parent, set()).add(file.name)
    removed = 0
    for folder, names in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                continue
            stem = entry.name[1:].rsplit(".", 2)[0]  # ".NAME.random.tmp" -> NAME
            if stem in names:
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()
                    removed += 1
    return removed


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace_atomically(path: Path, data: bytes, mode: int, abort: threading.Event) -> bool:
    """Write ``data`` to a temp file beside ``path``, fsync it, and rename it over
    ``path`` unless ``abort`` was set meanwhile; True if it replaced ``path``."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if abort.is_set():
            temp.unlink()
            return False
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return True


class BatchWriter:
    """``write(path, data, mode)`` many files; each lands atomically after its fsync.

    Use as a context manager: leaving it waits for every pending file and fsyncs the
    folders once; leaving it on an exception (or after a failed write) renames no more
    files. Errors raise StoreError. ``on_commit`` hears of each replaced file, in the
    order the files were given.
    """

    def __init__(
        self,
        window: int = 64,
        on_commit: Callable[[Path], None] | None = None,
        *,
        max_pending_bytes: int = _MAX_PENDING_BYTES,
    ) -> None:
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="agepy-write")
        self._pending: deque[tuple[Future[bool], Path, int]] = deque()
        self._pending_bytes = 0
        self._max_pending_bytes = max_pending_bytes
        self._folders: set[Path] = set()
        self._window = window
        self._on_commit = on_commit
        self._abort = threading.Event()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._drain(0)
            else:
                # Leaving on an exception: wait for the writes in flight, rename no more,
                # and let that exception through rather than a write error behind it.
                self._abort.set()
                with contextlib.suppress(StoreError):
                    self._drain(0)
        finally:
            self._abort.set()
            self._pool.shutdown(wait=True)
            for folder in self._folders:  # the renames that happened, made durable
                _fsync_dir(folder)

    def write(self, path: Path, data: bytes, *, mode: int = 0o644) -> None:
        """Start replacing ``path`` with ``data``; it lands once flushed to disk."""
        future = self._pool.submit(_replace_atomically, path, data, mode, self._abort)
        self._pending.append((future, path, len(data)))
        self._pending_bytes += len(data)
        self._folders.add(path.parent)
        self._drain(self._window)

    def _drain(self, keep: int) -> None:
        """Finish pending files, oldest first, until at most ``keep`` remain and their
        data fits the byte budget (and any that are already done)."""
        error: StoreError | None = None
        while self._pending and (
            len(self._pending) > keep
            or self._pending_bytes > self._max_pending_bytes
            or self._pending[0][0].done()
        ):
            future, path, size = self._pending.popleft()
            self._pending_bytes -= size
            try:
                if future.result() and self._on_commit is not None:
                    self._on_commit(path)
            except OSError as exc:
                if error is None:
                    error = _write_error(path, exc)
                    self._abort.set()
        if error is not None:
            self._drain(0)
            raise error


def _write_error(path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"cannot write {path}: {exc.strerror or exc}",
        hint="check the folder's permissions and free space",
    )
