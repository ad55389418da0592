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
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["files_holding"]

# Timestamps come from the kernel's coarse clock, a tick behind time.time() at most.
_CLOCK_SLACK = 2.0


def files_holding(
    needles: Sequence[bytes], places: Iterable[str | Path], since: float
) -> list[Path]:
    """Regular files under ``places`` (links not followed, devices and FIFOs skipped)
    changed at or after ``since`` (a time.time()) that contain one of ``needles``."""
    hits: set[Path] = set()
    for place in places:
        # os.walk, not rglob: other tests' folders vanish mid-walk, and walk ignores that.
        for top, _dirs, names in os.walk(place):
            for name in names:
                path = Path(top, name)
                try:
                    info = path.lstat()
                    if not stat.S_ISREG(info.st_mode) or info.st_ctime < since - _CLOCK_SLACK:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue  # gone meanwhile, or unreadable (as grep -s skips it)
                if any(needle in data for needle in needles):
                    hits.add(path)
    return sorted(hits)
