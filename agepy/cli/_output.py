"""What the CLI does when standard output fails: a reader that went away (EPIPE) ends
the run quietly, as cat does; a closed or full output is one error line."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Iterator
from typing import Any

from agepy.cli.hints import print_error

__all__ = [
    "ClosedOutput",
    "StdoutClosedError",
    "broken_pipe",
    "os_error_message",
    "output_failed",
    "quiet_after_broken_pipe",
]


class StdoutClosedError(OSError):
    """Output was written while standard output is closed."""


class ClosedOutput(io.RawIOBase):
    """Standard output when the caller closed it (``>&-``): every write fails as cat's."""

    def writable(self) -> bool:
        return True

    def write(self, _data: Any) -> int:
        raise StdoutClosedError(errno.EBADF, "standard output is closed")


def _cause_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def broken_pipe(exc: BaseException) -> bool:
    return any(
        isinstance(e, BrokenPipeError) or (isinstance(e, OSError) and e.errno == errno.EPIPE)
        for e in _cause_chain(exc)
    )


def quiet_after_broken_pipe() -> Any:
    # The reader went away (`agepy decrypt x | head`): stop quietly, as cat does when
    # SIGPIPE kills it, and keep Python from complaining when it flushes stdout at exit.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.stdout = io.StringIO()
    return sys.exit(128 + 13)


def os_error_message(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def output_failed(exc: OSError) -> Any:
    """Standard output could not be written: quiet for a closed pipe, else one line."""
    if broken_pipe(exc):
        return quiet_after_broken_pipe()
    sys.stdout = io.StringIO()  # what is left to flush at exit has nowhere to go
    print_error(f"cannot write to standard output: {os_error_message(exc)}", None)
    return sys.exit(1)
