"""A private folder for plaintext in RAM, and signal handlers that unwind through it.

Plaintext must never reach persistent disk: it goes into a fresh 0700 folder in a base
folder only this user controls, on tmpfs (see :mod:`agepy._plaintext`), and the folder is
removed on every exit path. SIGTERM and SIGHUP are turned into exceptions for the
duration, so ``finally`` blocks run; SIGKILL cannot be caught, which is why the folder is
in RAM and why the next agepy run wipes what a killed one left.
"""

from __future__ import annotations

from agepy._plaintext import plaintext_base, private_dir, wipe_dead_sessions
from agepy._signals import Terminated, raise_on_signals

__all__ = [
    "Terminated",
    "plaintext_base",
    "plaintext_dir",
    "private_dir",
    "raise_on_signals",
    "wipe_dead_sessions",
]

plaintext_dir = plaintext_base
