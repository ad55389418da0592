"""Waiting for files to be put in place in a folder (inotify), instead of polling it."""

from __future__ import annotations

import ctypes
import os
import select
import struct
import subprocess
from pathlib import Path

__all__ = ["Renames"]


class Renames:
    """Counts the files renamed into a folder (inotify), as a rekey puts each in place."""

    _IN_MOVED_TO = 0x80
    _EVENT = struct.Struct("iIII")

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.libc = ctypes.CDLL(None, use_errno=True)

    def __enter__(self) -> Renames:
        self.fd = self.libc.inotify_init1(os.O_CLOEXEC)
        if (
            self.fd < 0
            or self.libc.inotify_add_watch(self.fd, os.fsencode(self.folder), self._IN_MOVED_TO) < 0
        ):
            raise OSError(ctypes.get_errno(), "inotify")
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)

    def wait_for(self, count: int, process: subprocess.Popen[bytes]) -> None:
        """Until ``count`` .age files were renamed into the folder (``process`` runs)."""
        while self.count < count:
            if not select.select([self.fd], [], [], 1.0)[0]:
                assert process.poll() is None, process.communicate()
                continue
            data = os.read(self.fd, 65536)
            offset = 0
            while offset < len(data):
                _wd, _mask, _cookie, length = self._EVENT.unpack_from(data, offset)
                start = offset + self._EVENT.size
                name = data[start : start + length].rstrip(b"\0")
                self.count += name.endswith(b".age")
                offset = start + length
