"""SIGTERM and SIGHUP unwind like Ctrl-C: every ``finally`` and cleanup block runs.

Without this, SIGTERM kills Python outright: a rekey leaves its temp files and an edit
its plaintext folder. The CLI turns them into :class:`Terminated` for the whole run.
:func:`deferred_signals` holds them (and Ctrl-C) back for a step that must not be cut in
two, such as starting a child process that must be stopped again on the way out.
"""

from __future__ import annotations

import contextlib
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


# Held back by deferred_signals (main thread only, where Python runs signal handlers).
_holding = 0
_held: list[int] = []


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    if _holding:
        _held.append(signum)
        return
    _held.clear()
    raise Terminated(signum)


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C as Python's own handler takes it (KeyboardInterrupt), unless held back."""
    if _holding:
        _held.append(signum)
        return
    _held.clear()
    raise KeyboardInterrupt


@contextlib.contextmanager
def raise_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`Terminated` (SIGINT raises KeyboardInterrupt, as
    it does anyway) meanwhile, and let :func:`deferred_signals` hold them back.

    Outside the main thread Python cannot install handlers; then this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in _STOP_SIGNALS:
        handler = signal.getsignal(signum)
        previous[signum] = handler
        if signum == signal.SIGINT and handler is signal.default_int_handler:
            signal.signal(signum, _raise_interrupt)
        else:
            signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back the signals :func:`raise_on_signals` raises on, meanwhile; on leaving,
    raise for the first that came.

    For a step an exception must not land inside: subprocess.Popen interrupted after
    the fork has a child running that nobody will stop, and a Ctrl-C raised inside the
    Python code of a lock's ``with`` (a Future's, a Semaphore's) can leave the lock held
    (CPython issue 29988), so that a thread pool waits for ever at shutdown. Handlers
    are not swapped: they check a counter, which costs nothing per use. Outside the main
    thread, or without raise_on_signals, signals are not held back.
    """
    global _holding
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
        if not _holding and _held:
            handler = signal.getsignal(_held[0])
            if callable(handler):  # ours, unless raise_on_signals ended meanwhile
                handler(_held[0], None)
            _held.clear()
