"""Atomic file writes: agepy's one write path lives in :mod:`agepy._files`.

An interrupted or failed write leaves the old file untouched and no temp file behind
(short of SIGKILL, which can leave a ``.NAME.agepy-PID-RANDOM.tmp`` file, removed by a
later run, but never a half-written NAME). Symlinks are written through, special files
in place, read-only files refused.
"""

from __future__ import annotations

from agepy._files import atomic_output, atomic_path, atomic_write

__all__ = ["atomic_output", "atomic_path", "atomic_write"]
