"""Atomic replacement of many files at once, with the file-system work overlapped.

Each file is still written the safe way (agepy's one write path, :mod:`agepy._files`: a
temp file beside the symlink's target, mode and owner kept, fsync, rename),
but a rekey of hundreds of files would spend much of its time in those system calls:
fsync waits for the disk, and on a journaling file system creating and renaming files
waits for the journal commits that other fsyncs start. Here each file's whole write runs
on a small thread pool (system calls release the GIL) while the next files are
encrypted, and a file is renamed into place only once its own fsync is done. Killed at
any moment, every file is either old or new; a leftover temp file
(``.NAME.agepy-PID-RANDOM.tmp``, of a process no longer running) is removed by the next
rekey.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from agepy._files import (
    Stamp,
    file_stamp,
    fsync_dir,
    open_temp,
    remove_stale_temps,
    replace,
    resolve_target,
)
from agepy._signals import deferred_signals
from agepy.errors import StoreError

__all__ = ["BatchWriter", "FileChangedError", "file_stamp", "remove_leftover_temps"]

_THREADS = 8
# Data waiting to be written is held in memory: large secrets wait for fewer files.
_MAX_PENDING_BYTES = 64 << 20


def remove_leftover_temps(files: list[Path]) -> int:
    """Remove the temp files that killed agepy writes of ``files`` left; how many.

    Only agepy's own temp names of dead processes: a user's ``.x.age.bak.tmp`` and a
    concurrent run's temp files stay."""
    return remove_stale_temps({f.parent for f in files}, {f.name for f in files})


class FileChangedError(OSError):
    """The file changed on disk since it was read: left as it is."""


def _replace_atomically(
    path: Path, data: bytes, mode: int, abort: threading.Event, expect: Stamp | None = None
) -> bool:
    """Write ``data`` to a temp file beside ``path``'s target, fsync it, and rename it
    over the target unless ``abort`` was set meanwhile; True if it replaced ``path``.

    With ``expect``, a target whose stamp differs is left alone (FileChangedError)."""
    target = resolve_target(path)
    if target.special:
        with open(target.path, "wb") as handle:
            handle.write(data)
        return True
    fd, temp = open_temp(target, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if abort.is_set():
            temp.unlink()
            return False
        if expect is not None and file_stamp(target.path) != expect:
            temp.unlink()
            raise FileChangedError(errno.ESTALE, "it changed on disk meanwhile", str(path))
        replace(temp, target.path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return True


class BatchWriter:
    """``write(path, data, mode)`` many files; each lands atomically after its fsync.

    Use as a context manager: leaving it waits for every pending file and fsyncs the
    folders once; leaving it on an exception (or after a failed write) renames no more
    files. Errors raise StoreError, from a later ``write`` or from leaving the block (never
    from the ``write`` that started the failing file, so a Ctrl-C raised right after it is
    not replaced by a write error). ``on_commit`` hears of each replaced file, in the
    order the files were given. ``stamps``: each file as it was when read; a file that
    changed since is left as it is and ``on_changed`` hears of it.
    """

    def __init__(
        self,
        window: int = 64,
        on_commit: Callable[[Path], None] | None = None,
        *,
        max_pending_bytes: int = _MAX_PENDING_BYTES,
        stamps: Mapping[Path, Stamp | None] | None = None,
        on_changed: Callable[[Path], None] | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="agepy-write")
        self._pending: deque[tuple[Future[bool], Path, int]] = deque()
        self._pending_bytes = 0
        self._max_pending_bytes = max_pending_bytes
        self._folders: set[Path] = set()
        self._window = window
        self._on_commit = on_commit
        self._stamps = stamps or {}
        self._on_changed = on_changed
        self._abort = threading.Event()
        self._error: StoreError | None = None

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with deferred_signals():
            self._finish(exc_type is None)

    def _finish(self, ok: bool) -> None:
        try:
            if ok:
                self._drain(0)
                self._raise_error()
            else:
                # Leaving on an exception: wait for the writes in flight, rename no more,
                # and let that exception through rather than a write error behind it.
                self._abort.set()
                self._drain(0)
        finally:
            self._abort.set()
            self._pool.shutdown(wait=True)
            for folder in self._folders:  # the renames that happened, made durable
                fsync_dir(folder)

    def write(self, path: Path, data: bytes, *, mode: int = 0o666) -> None:
        """Start replacing ``path`` with ``data``; it lands once flushed to disk."""
        # The pool's futures, semaphore and events take their locks in Python code: a
        # Ctrl-C raised between a lock's acquire and its `with` block could leave it held
        # (CPython issue 29988), and the pool would then wait for ever at shutdown. Such
        # signals are acted on once this call is done.
        with deferred_signals():
            self._write(path, data, mode)

    def _write(self, path: Path, data: bytes, mode: int) -> None:
        self._raise_error()
        expect = self._stamps.get(path) if path in self._stamps else None
        future = self._pool.submit(_replace_atomically, path, data, mode, self._abort, expect)
        self._pending.append((future, path, len(data)))
        self._pending_bytes += len(data)
        self._folders.add(Path(os.path.realpath(path)).parent)  # where the rename happens
        self._drain(self._window)

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._drain(0)
            raise error

    def _drain(self, keep: int) -> None:
        """Finish pending files, oldest first, until at most ``keep`` remain and their
        data fits the byte budget (and any that are already done); the first failure is
        kept for :meth:`_raise_error` and stops further renames."""
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
            except FileChangedError:
                if self._on_changed is not None:
                    self._on_changed(path)
            except OSError as exc:
                if self._error is None and not self._abort.is_set():
                    self._error = _write_error(path, exc)
                self._abort.set()


def _write_error(path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"cannot write {path}: {exc.strerror or exc}",
        hint="check the folder's permissions and free space",
    )
