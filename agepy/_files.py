"""The one way agepy writes a file: .age files, secrets.nix, agepy.toml, ``-o`` targets.

- A regular file, or a symlink to one, is replaced atomically *at the link's target*
  (the link stays): a temp file in the target's folder, fsync, rename, fsync the folder.
  The new file keeps the old one's mode, and its owner and group where the runner may
  set them. A new file gets ``mode`` less the umask, as ``age -o`` does (0666 & ~umask).
- A FIFO, a device or any other special file is opened and written in place, as ``age``
  does: replacing ``/dev/null`` or a FIFO by a regular file would break it.
- A target without write permission is refused (even for root, who could write it):
  a read-only file says "do not overwrite me", and age refuses it for everyone else.

Temp files are named ``.NAME.agepy-PID-RANDOM.tmp``: a name only agepy makes, carrying
the writer's process id, so that cleanup removes only those of dead agepy runs and never
a user's file or a concurrent run's temp file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "Target",
    "atomic_output",
    "atomic_path",
    "atomic_write",
    "file_mode",
    "file_stamp",
    "fsync_dir",
    "is_agepy_temp",
    "new_file_mode",
    "not_regular",
    "open_temp",
    "read_regular",
    "remove_stale_temps",
    "replace",
    "resolve_target",
    "restore_on_failure",
    "temp_name",
    "written_by_us",
]

_TEMP = re.compile(r"^\.(?P<name>.+)\.agepy-(?P<pid>\d+)-[0-9a-f]+\.tmp$")


def not_regular(path: Path) -> str | None:
    """What ``path`` is if it exists but is no regular file ("a FIFO", …), else None.

    A FIFO named like a secret would hang a reader forever: callers report it instead."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None
    return _kind(mode)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def open_regular(path: Path) -> BinaryIO:
    """The regular file ``path`` opened for reading (unbuffered); OSError for anything
    else, without ever blocking on a FIFO (opened non-blocking, checked, then blocking)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    handle = os.fdopen(fd, "rb", buffering=0)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        handle.close()
        raise
    return handle


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_regular`)."""
    with open_regular(path) as handle:
        return handle.read()


def temp_name(name: str) -> str:
    """A temp file name beside ``name`` that only this agepy process makes."""
    return f".{name}.agepy-{os.getpid()}-{secrets.token_hex(6)}.tmp"


def is_agepy_temp(name: str) -> bool:
    return _TEMP.match(name) is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def remove_stale_temps(folders: Iterable[Path], names: set[str] | None = None) -> int:
    """Remove agepy temp files in ``folders`` whose writer is dead; how many.

    ``names``: only temps of these file names. A user's ``.x.age.bak.tmp`` does not match
    agepy's pattern, and a live run's temps carry a live pid: both stay.
    """
    removed = 0
    for folder in set(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = _TEMP.match(entry.name)
            if match is None or (names is not None and match["name"] not in names):
                continue
            if _alive(int(match["pid"])):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    Path(entry.path).unlink()
                    removed += 1
    return removed


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable; some file systems cannot, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    # Linux shows the umask in /proc; os.umask can only read it by setting it, which
    # would race with files other threads (the batch writer's) create meanwhile.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def new_file_mode(mode: int = 0o666) -> int:
    """``mode`` less the process umask: what open(O_CREAT) would give a new file."""
    return mode & ~_umask() & 0o7777


@dataclass(frozen=True)
class Target:
    """Where a write to ``given`` really goes, and what is there now."""

    given: Path
    path: Path  # symlinks resolved
    status: os.stat_result | None  # None: a new file

    @property
    def special(self) -> bool:
        return self.status is not None and not stat.S_ISREG(self.status.st_mode)


def resolve_target(path: Path) -> Target:
    """Follow ``path``'s symlinks to the file a write replaces. OSError for a folder or a
    read-only file."""
    path = Path(path)
    real = Path(os.path.realpath(path))
    try:
        status = real.stat()
    except FileNotFoundError:
        return Target(path, real, None)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if stat.S_ISREG(status.st_mode) and (
        not os.access(real, os.W_OK) or not status.st_mode & 0o222
    ):
        raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    return Target(path, real, status)


def open_temp(target: Target, mode: int) -> tuple[int, Path]:
    """A new temp file beside ``target.path``: its descriptor and path.

    It gets the old file's mode and (best effort) owner and group, else ``mode`` less
    the umask."""
    folder = target.path.parent
    while True:
        temp = folder / temp_name(target.path.name)
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            break
        except FileExistsError:
            continue
    try:
        old = target.status
        if old is None:
            os.fchmod(fd, new_file_mode(mode))
        else:
            _copy_owner(fd, old)
            os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown, which may clear set-id bits
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return fd, temp


def _copy_owner(fd: int, old: os.stat_result) -> None:
    if (old.st_uid, old.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except OSError:
        # Not root: keep at least the group if we are in it.
        with contextlib.suppress(OSError):
            os.fchown(fd, -1, old.st_gid)


def _commit(temp: Path, target: Target) -> None:
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())
    replace(temp, target.path)


Stamp = tuple[int, int, int, int]
# What this process last wrote at each (resolved) path: rollback restores only files
# still as agepy left them, never a change made by someone else meanwhile.
_written: dict[Path, Stamp] = {}


def file_mode(path: Path) -> int:
    """The permission bits a new version of ``path`` keeps (0644 for a new file)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o644


def file_stamp(path: Path) -> Stamp | None:
    """What tells that a file changed: inode, size, mtime and ctime (None: no file)."""
    try:
        status = Path(path).stat()
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def replace(temp: Path, target: Path) -> None:
    """Rename ``temp`` over ``target`` (a resolved path), durably, and remember it."""
    Path(temp).replace(target)
    fsync_dir(target.parent)
    stamp = file_stamp(target)
    if stamp is not None:
        _written[target] = stamp


def written_by_us(path: Path) -> bool:
    """True if ``path`` is still exactly as this process last wrote it."""
    real = Path(os.path.realpath(path))
    return real in _written and file_stamp(real) == _written[real]


@contextlib.contextmanager
def restore_on_failure(paths: Iterable[Path]) -> Iterator[None]:
    """Keep the bytes of ``paths``; if the body fails, put back those agepy changed.

    A file is restored (through its symlink, keeping the link) or removed (if it was
    new) only when it is still as this process wrote it: a change someone else made
    meanwhile stays."""
    saved: dict[Path, bytes | None] = {}
    for path in paths:
        try:
            saved[path] = Path(path).read_bytes()
        except FileNotFoundError:
            saved[path] = None
    try:
        yield
    except BaseException:
        for path, data in saved.items():
            if not written_by_us(path):
                continue
            with contextlib.suppress(OSError):
                if data is None:
                    Path(os.path.realpath(path)).unlink()
                elif Path(path).read_bytes() != data:
                    atomic_write(path, data)
        raise


@contextlib.contextmanager
def atomic_path(path: Path, *, mode: int = 0o666) -> Iterator[Path]:
    """Yield a path to write the new content to, by name; on success it lands at ``path``.

    For writers that take a file name. A special file (FIFO, device) is yielded itself,
    to be written in place. ``mode`` (less the umask) is for a new file. OSError
    propagates; on failure the old file stays and the temp file is gone.
    """
    target = resolve_target(path)
    if target.special:
        yield target.path
        return
    fd, temp = open_temp(target, mode)
    os.close(fd)
    try:
        yield temp
        _commit(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


@contextlib.contextmanager
def atomic_output(path: Path, *, mode: int = 0o666, buffering: int = -1) -> Iterator[BinaryIO]:
    """Yield a binary file object; on success its content replaces ``path`` atomically
    (a special file is written in place). ``buffering`` as for open()."""
    target = resolve_target(path)
    if target.special:
        with open(target.path, "wb", buffering=buffering) as handle:
            yield handle
        return
    with atomic_path(path, mode=mode) as temp, open(temp, "wb", buffering=buffering) as handle:
        yield handle
        handle.flush()


def atomic_write(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write ``data`` to ``path`` the safe way (see the module); ``mode`` for a new file."""
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)
