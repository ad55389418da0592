"""Shared set-up of the benchmarks."""

from __future__ import annotations

import compileall
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # for the checkout's tests.support; agepy stays the installed one

from tests.support.ramdisk import scratch_tmpfs  # noqa: E402


def compile_agepy() -> None:
    """Write agepy's bytecode, as pip does when it installs a package.

    Each timed `agepy` command is a fresh Python process; without .pyc files (a checkout
    run with PYTHONDONTWRITEBYTECODE=1) it would compile every module on every start-up,
    which no installed agepy does.
    """
    compileall.compile_dir(str(ROOT / "agepy"), quiet=1)


def tmpfs_folder(need: int = 0) -> str | None:
    """A RAM-backed folder to make the benchmarks' temp folders in, or None (the default
    temp folder): the one the tests use (tests/support/ramdisk.py), with ``need`` bytes
    free. The benchmarks write only inside a fresh temp folder of their own there."""
    return scratch_tmpfs(need)


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
