"""Where plaintext may live for a moment (`agepy edit`): a private folder in RAM.

The base folder must be one nobody else can touch and that never reaches a disk:
- ``$XDG_RUNTIME_DIR``, only if it is owned by this user, mode 0700, and on tmpfs/ramfs;
- else ``/dev/shm/agepy-$UID``, made 0700 by agepy (one owned by someone else, or open
  to others, is refused: another user could swap it and read the next secret);
- else the system temp folder, only if the caller allows the disk.

Each edit gets a session folder ``agepy-plain-PID-RANDOM`` in it, wiped on every exit
path; SIGKILL cannot be caught, so :func:`wipe_dead_sessions` (run at every start)
removes the sessions of agepy processes that no longer run, and says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from agepy.errors import StoreError

__all__ = [
    "plaintext_base",
    "private_dir",
    "ram_backed",
    "session_bases",
    "wipe_dead_sessions",
]

_PREFIX = "agepy-plain-"
_SESSION = re.compile(rf"^{_PREFIX}(?P<pid>\d+)-[A-Za-z0-9_]+$")
_SHM = Path("/dev/shm")  # noqa: S108 - the RAM disk; agepy's folder in it is checked below
# statfs f_type of RAM-backed file systems (linux/magic.h).
_RAM_MAGIC = {0x01021994, 0x858458F6}  # TMPFS_MAGIC, RAMFS_MAGIC
_RAM_TYPES = {"tmpfs", "ramfs"}


def _statfs_type(path: Path) -> int | None:
    """The file system type (statfs f_type) of ``path``, or None if unknown."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's C library
        statfs = libc.statfs
    except (OSError, AttributeError):
        return None
    buffer = ctypes.create_string_buffer(256)  # struct statfs; f_type is its first field
    if statfs(os.fsencode(path), buffer) != 0:
        return None
    return ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF


def _mountinfo_type(path: Path) -> str | None:
    """The file system type of the mount holding ``path``, from /proc/self/mountinfo."""
    real = os.path.realpath(path)
    best, best_type = "", None
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields:
            continue
        mount = fields[4].encode().decode("unicode_escape")  # \040 for a space
        fstype = fields[fields.index("-") + 1]
        inside = real == mount or real.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, best_type = mount, fstype
    return best_type


def ram_backed(path: Path) -> bool:
    """True if ``path`` is on tmpfs or ramfs (plaintext there never reaches a disk)."""
    magic = _statfs_type(path)
    if magic is not None:
        return magic in _RAM_MAGIC
    return _mountinfo_type(path) in _RAM_TYPES


def _private(path: Path, status: os.stat_result) -> str | None:
    """Why ``path`` is not a folder only this user can use (None: it is)."""
    if not stat.S_ISDIR(status.st_mode):
        return "it is not a folder"
    if status.st_uid != os.geteuid():
        return f"it is owned by uid {status.st_uid}, not by you"
    if stat.S_IMODE(status.st_mode) & 0o077:
        return f"its mode is {stat.S_IMODE(status.st_mode):04o}, not 0700"
    return None


def _runtime_dir() -> tuple[Path | None, str | None]:
    """$XDG_RUNTIME_DIR if safe for plaintext, else None and why not."""
    value = os.environ.get("XDG_RUNTIME_DIR", "")
    if not value:
        return None, None
    path = Path(value)
    try:
        why = _private(path, path.stat())
    except OSError as exc:
        why = exc.strerror or str(exc)
    if why is None and not ram_backed(path):
        why = "it is not on tmpfs"
    return (None, f"$XDG_RUNTIME_DIR ({path}) is not used: {why}") if why else (path, None)


def _shm_dir(*, create: bool) -> Path | None:
    """agepy's own folder in /dev/shm (made 0700 if ``create``); None if /dev/shm is not
    usable.

    StoreError if it exists but is not private to this user."""
    if not (_SHM.is_dir() and ram_backed(_SHM)):
        return None
    folder = _SHM / f"agepy-{os.geteuid()}"
    if create:
        with contextlib.suppress(FileExistsError, PermissionError):
            folder.mkdir(mode=0o700)
    try:
        status = folder.lstat()
    except OSError:
        return None
    why = _private(folder, status)
    if why is not None:
        raise StoreError(
            f"refusing {folder} for the plaintext: {why}",
            hint="someone may be trying to read your secrets: remove that folder "
            "(as its owner or root) and run this again",
        )
    return folder


def plaintext_base(*, allow_disk: bool = False, warn: Callable[[str], None] | None = None) -> Path:
    """The folder under which a session folder for plaintext is made (see the module)."""
    runtime, why = _runtime_dir()
    if runtime is not None:
        return runtime
    if why is not None and warn is not None:
        warn(why)
    shm = _shm_dir(create=True)
    if shm is not None:
        return shm
    if allow_disk:
        return Path(tempfile.gettempdir())
    raise StoreError(
        "no private folder in RAM for the plaintext: $XDG_RUNTIME_DIR is not a private "
        "tmpfs folder and /dev/shm is not available",
        hint="set XDG_RUNTIME_DIR to a private tmpfs folder, or allow the disk (the "
        f"plaintext then goes to {tempfile.gettempdir()})",
    )


def session_bases() -> list[Path]:
    """Every folder a session may have been made in, for cleanup (none is created)."""
    bases = []
    runtime, _ = _runtime_dir()
    if runtime is not None:
        bases.append(runtime)
    with contextlib.suppress(StoreError):
        shm = _shm_dir(create=False)
        if shm is not None:
            bases.append(shm)
    bases.append(Path(tempfile.gettempdir()))
    return bases


def _wipe(folder: Path) -> None:
    # Overwrite before unlinking: it matters if the folder had to live on disk.
    for entry in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if entry.is_file() and not entry.is_symlink():
                size = entry.stat().st_size
                with entry.open("r+b") as handle:
                    handle.write(b"\0" * size)
    shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wipe_dead_sessions(notify: Callable[[str], None] | None = None) -> list[Path]:
    """Remove the plaintext folders of agepy runs that were killed; the folders removed."""
    removed = []
    for base in session_bases():
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            match = _SESSION.match(entry.name)
            if match is None or _alive(int(match["pid"])):
                continue
            with contextlib.suppress(OSError):
                if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != os.geteuid():
                    continue
                _wipe(Path(entry.path))
                removed.append(Path(entry.path))
                if notify is not None:
                    pid = match["pid"]
                    notify(f"removed plaintext left by a killed agepy (pid {pid}): {entry.path}")
    return removed


@contextlib.contextmanager
def private_dir(
    *, allow_disk: bool = False, warn: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """A fresh 0700 session folder for plaintext (see the module), wiped on exit."""
    base = plaintext_base(allow_disk=allow_disk, warn=warn)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
    except OSError as exc:
        raise StoreError(
            f"cannot create a private folder in {base}: {exc.strerror or exc}",
            hint="check that the folder is writable and not full",
        ) from None
    try:
        yield folder
    finally:
        _wipe(folder)
