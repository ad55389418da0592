"""A RAM disk (tmpfs) to keep the test run's temporary folders on, when the machine has one.

agepy fsyncs each file it writes and the folder holding it. On a disk every fsync costs a
few milliseconds, and so does every unlink on a mount with ``discard``; a test run does
thousands of each. No test checks what reaches the disk (the crash tests kill processes,
not the machine), so the run's temporary folders go to RAM when there is room. The
benchmarks use the same folder for their files.

The folder is found, not named: ``$XDG_RUNTIME_DIR`` when it is on tmpfs, else the first
tmpfs in the mount table that is a shared scratch space, sticky and open to all (mode
1777, as /tmp and /dev/shm are), never a system folder such as a cgroup tree. Only fresh
temporary folders of the caller's own are made there.
"""

from __future__ import annotations

import os
import stat

__all__ = ["scratch_tmpfs"]

_SHARED_SCRATCH = stat.S_ISVTX | 0o777


def _tmpfs_mounts() -> list[str]:
    """Mount points of tmpfs file systems, in mount-table order."""
    try:
        with open("/proc/self/mounts", encoding="utf-8") as table:
            lines = table.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[2] == "tmpfs":
            found.append(fields[1].replace("\\040", " "))
    return found


def _room(path: str, need: int) -> bool:
    try:
        space = os.statvfs(path)
    except OSError:
        return False
    return space.f_bavail * space.f_frsize >= need and os.access(path, os.W_OK | os.X_OK)


def scratch_tmpfs(need: int = 0) -> str | None:
    """A tmpfs folder with ``need`` bytes free to make temporary folders in, or None."""
    mounts = _tmpfs_mounts()
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime in mounts and _room(runtime, need):
        return runtime
    for mount in mounts:
        try:
            mode = stat.S_IMODE(os.stat(mount).st_mode)
        except OSError:
            continue
        if mode == _SHARED_SCRATCH and _room(mount, need):
            return mount
    return None
