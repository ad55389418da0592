"""Atomic replacement of many files at once, with the fsyncs overlapped.

Each file is still written the safe way (a temp file in the same folder, fsync, rename),
but a rekey of hundreds of files would spend most of its time waiting for fsync one file
after another. Here the fsyncs run on a small thread pool (fsync releases the GIL) while
the next files are encrypted, and a file is renamed into place only once its own fsync
is done. Killed at any moment, every file is either old or new; a leftover temp file
(``.NAME.*.tmp``) is removed by the next rekey.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from agepy.errors import StoreError

__all__ = ["BatchWriter", "remove_leftover_temps"]

_THREADS = 16


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


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BatchWriter:
    """``write(path, data, mode)`` many files; each lands atomically after its fsync.

    Use as a context manager: leaving it waits for every pending file (renaming those
    whose fsync succeeded) and fsyncs the folders once. Errors raise StoreError.
    """

    def __init__(self, window: int = 64, on_commit: Callable[[Path], None] | None = None) -> None:
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="agepy-fsync")
        self._pending: deque[tuple[Future[None], Path, Path]] = deque()
        self._folders: set[Path] = set()
        self._window = window
        self._on_commit = on_commit

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._drain(0, commit=exc_type is None)
            for folder in self._folders:
                _fsync_dir(folder)
        finally:
            self._pool.shutdown(wait=True)

    def write(self, path: Path, data: bytes, *, mode: int = 0o644) -> None:
        """Start writing ``data`` to a temp file beside ``path``; it replaces ``path``
        once flushed to disk."""
        try:
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise _write_error(path, exc) from None
        temp = Path(name)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise _write_error(path, exc) from None
        self._pending.append((self._pool.submit(_sync_and_close, fd), temp, path))
        self._folders.add(path.parent)
        self._drain(self._window, commit=True)

    def _drain(self, keep: int, *, commit: bool) -> None:
        """Finish pending files, oldest first, until at most ``keep`` remain (and any
        whose fsync is already done)."""
        error: StoreError | None = None
        while self._pending and (len(self._pending) > keep or self._pending[0][0].done()):
            future, temp, path = self._pending.popleft()
            try:
                future.result()
                if commit and error is None:
                    temp.replace(path)
                    if self._on_commit is not None:
                        self._on_commit(path)
                    continue
            except OSError as exc:
                error = error or _write_error(path, exc)
            temp.unlink(missing_ok=True)
        if error is not None:
            self._drain(0, commit=False)
            raise error


def _write_error(path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"cannot write {path}: {exc.strerror or exc}",
        hint="check the folder's permissions and free space",
    )
