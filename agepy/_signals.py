"""SIGTERM and SIGHUP unwind like Ctrl-C: every ``finally`` and cleanup block runs.

Without this, SIGTERM kills Python outright: a rekey leaves its temp files and an edit
its plaintext folder. The CLI turns them into :class:`Terminated` for the whole run.
:func:`deferred_signals` holds them (and Ctrl-C) back for a step that must not be cut in
two, such as starting a child process that must be stopped again on the way out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "deferred_signals", "raise_on_signals"]

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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
    for signum in _STOP_SIGNALS:
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


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back meanwhile; on leaving, act on those that came.

    For a step an exception must not land inside: subprocess.Popen interrupted after
    the fork has a child running that nobody will stop. Each signal that arrived is then
    handled as it would have been: its handler runs (raising KeyboardInterrupt or
    :class:`Terminated`), or, where none was set, the signal is sent again. Outside the
    main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {int(signum): signal.getsignal(signum) for signum in _STOP_SIGNALS}
    for signum, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, lambda number, _frame: arrived.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for number in dict.fromkeys(arrived):
            handler = previous[number]
            if callable(handler):
                handler(number, None)
            else:  # SIG_DFL (None: set outside Python): as if it came now
                os.kill(os.getpid(), number)
