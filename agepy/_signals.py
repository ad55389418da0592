"""SIGTERM and SIGHUP unwind like Ctrl-C: every ``finally`` and cleanup block runs.

Without this, SIGTERM kills Python outright: a rekey leaves its temp files and an edit
its plaintext folder. The CLI turns them into :class:`Terminated` for the whole run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "raise_on_signals"]


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; a KeyboardInterrupt so every layer unwinds the same way."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def raise_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`Terminated` (SIGINT already raises) meanwhile.

    Outside the main thread Python cannot install handlers; then this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        handler = signal.getsignal(signum)
        if signum == signal.SIGINT and handler is signal.default_int_handler:
            continue
        previous[signum] = handler
        signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
