"""The pipes between a parallel rekey and its forked workers: tickets (which files a
worker takes next) go out on one pipe, each worker sends one record per file back on
its own. Records carry the new ciphertext, or a failure; never plaintext."""

from __future__ import annotations

import json
import os
import select
import struct
from collections.abc import Iterator, Sequence

from agepy.errors import AgepyError, Reason, StoreError

__all__ = ["FAILED", "RECORD", "Tickets", "failure_from_record", "failure_record", "send"]

# Files per ticket (a worker takes one ticket at a time): few enough to balance at the
# end, enough that reading tickets costs nothing.
_BATCH = 4

# A worker's record: file index, mode (or FAILED), payload length; then the payload:
# the new ciphertext, or for FAILED the JSON [error, hint, reason, details].
RECORD = struct.Struct("<iIQ")
FAILED = 0xFFFFFFFF


def send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Tickets:
    """Which files a worker does next: the index of each batch of files, as four bytes
    in a pipe the workers read. Pipe reads are atomic, so each batch goes to one worker,
    and no lock is held that a dying worker could keep. This process writes the tickets
    as the pipe has room, in writes of at most PIPE_BUF bytes (all or nothing), and
    closes it after the last: the workers then read end-of-file."""

    _PER_WRITE = getattr(select, "PIPE_BUF", 512) // 4  # 512: the POSIX minimum

    def __init__(self, count: int) -> None:
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.write_end, False)
        self._starts = range(0, count, _BATCH)
        self._written = 0
        self.fill()

    @property
    def all_written(self) -> bool:
        return self.write_end < 0

    def fill(self) -> None:
        """Write as many tickets as the pipe takes; close it after the last."""
        while self._written < len(self._starts):
            batch = self._starts[self._written : self._written + self._PER_WRITE]
            try:
                os.write(self.write_end, b"".join(s.to_bytes(4, "little") for s in batch))
            except BlockingIOError:
                return
            self._written += len(batch)
        self.close_writing()

    def close_writing(self) -> None:
        if self.write_end >= 0:
            os.close(self.write_end)
            self.write_end = -1

    def close(self) -> None:
        self.close_writing()
        os.close(self.read_end)

    def take(self, names: Sequence[str], stop: list[int]) -> Iterator[str]:
        """In a worker: names batch by batch, until the tickets run out or ``stop``."""
        while not stop:
            ticket = os.read(self.read_end, 4)
            if len(ticket) < 4:  # end of file (whole tickets never come apart)
                return
            start = int.from_bytes(ticket, "little")
            for name in names[start : start + _BATCH]:
                if stop:
                    return
                yield name


def failure_record(exc: AgepyError) -> bytes:
    """A worker's failure, as the parent rebuilds it (message, hint, reason, details)."""
    return json.dumps([exc.message, exc.hint, exc.reason, exc.details]).encode()


def failure_from_record(payload: bytes) -> StoreError:
    message, hint, reason, details = json.loads(payload)
    return StoreError(
        message, hint=hint, reason=Reason(reason) if reason else None, details=details
    )
