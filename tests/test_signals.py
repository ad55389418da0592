"""agepy._signals: SIGTERM/SIGHUP raise like Ctrl-C, and deferred_signals holds all three
back for a step that must not be cut in two (a thread pool's locks, starting a child)."""

from __future__ import annotations

import os
import signal

import pytest

from agepy._signals import Terminated, deferred_signals, raise_on_signals


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_in_a_held_step_is_raised_when_the_outermost_step_ends(signum: int) -> None:
    expected = KeyboardInterrupt if signum == signal.SIGINT else Terminated
    steps = []
    with raise_on_signals(), pytest.raises(expected) as info:
        with deferred_signals():
            with deferred_signals():
                os.kill(os.getpid(), signum)
                steps.append("inner step done")
            steps.append("outer step done")
        steps.append("never")
    assert steps == ["inner step done", "outer step done"]
    assert info.type is expected  # Ctrl-C stays a plain KeyboardInterrupt
    with raise_on_signals(), pytest.raises(expected):
        os.kill(os.getpid(), signum)  # and nothing is held afterwards


def test_handlers_are_put_back() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with raise_on_signals(), deferred_signals():
        pass
    assert {s: signal.getsignal(s) for s in before} == before
