"""Shared set-up of the benchmarks."""

from __future__ import annotations

import compileall
import os
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compile_agepy() -> None:
    """Write agepy's bytecode, as pip does when it installs a package.

    Each timed `agepy` command is a fresh Python process; without .pyc files (a checkout
    run with PYTHONDONTWRITEBYTECODE=1) it would compile every module on every start-up,
    which no installed agepy does.
    """
    compileall.compile_dir(str(ROOT / "agepy"), quiet=1)


def tmpfs_folder(need: int = 0) -> str | None:
    """A RAM-backed folder to make the benchmarks' temp folders in, or None (the default
    temp folder): $XDG_RUNTIME_DIR when it is on tmpfs, else the first writable tmpfs the
    mount table lists with ``need`` bytes free. Found, not named: the benchmarks write
    only inside a fresh temp folder of their own there."""
    mounts: dict[str, str] = {}
    try:
        with open("/proc/self/mounts", encoding="utf-8") as table:
            for line in table:
                fields = line.split()
                if len(fields) >= 3:
                    mounts[fields[1].replace("\\040", " ")] = fields[2]
    except OSError:
        return None
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = [runtime] if runtime and mounts.get(runtime) == "tmpfs" else []
    candidates += sorted(path for path, kind in mounts.items() if kind == "tmpfs")
    for path in candidates:
        if os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK):
            space = os.statvfs(path)
            if space.f_bavail * space.f_frsize >= need:
                return path
    return None


def best(
    runs: int, action: Callable[[], object], setup: Callable[[], object] | None = None
) -> float:
    """The shortest of ``runs`` timings of ``action`` (``setup`` runs untimed before each)."""
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)
