"""Which files hold a secret: a search of whole folders (/tmp, /dev/shm, …) that reads only
the files written since the secret was made.

A file can hold a random marker only if it was written after the marker was made, and
then its status-change time (ctime, which no program can set back, unlike mtime) is
at least that moment. Reading only those files finds what `grep -r` over the folders
finds, without reading every other test's files under /tmp again.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

__all__ = ["files_holding"]

# Timestamps come from the kernel's coarse clock, a tick behind time.time() at most.
_CLOCK_SLACK = 2.0


def files_holding(
    needles: Sequence[bytes],
    places: Iterable[str | Path],
    since: float,
    *,
    skip: Iterable[str | Path] = (),
) -> list[Path]:
    """Regular files under ``places`` (links not followed, devices and FIFOs skipped)
    changed at or after ``since`` (a time.time()) that contain one of ``needles``.

    Folders in ``skip`` are not entered on the way (a place is searched even if inside
    one): the other tests' temporary folders, which hold their own secrets and which no
    program run by this test knows of.
    """
    hits: set[Path] = set()
    skipped = {os.path.realpath(folder) for folder in skip}
    for place in places:
        start = os.path.realpath(place)
        for path in _changed_files(start, since - _CLOCK_SLACK, skipped):
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue  # gone meanwhile, or unreadable (as grep -s skips it)
            if any(needle in data for needle in needles):
                hits.add(Path(path))
    return sorted(hits)


def _changed_files(folder: str, since: float, skipped: set[str]) -> Iterator[str]:
    """Regular files under ``folder`` with a ctime at or after ``since``.

    os.scandir, not Path.rglob or os.walk plus lstat: /tmp holds tens of thousands of
    files from other tests and runs, and the per-file Path objects tripled the cost.
    Folders that vanish mid-walk (other tests' temp folders) are skipped.
    """
    try:
        entries = os.scandir(folder)
    except OSError:
        return
    with entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.path not in skipped:
                        yield from _changed_files(entry.path, since, skipped)
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_ctime >= since:
                yield entry.path
