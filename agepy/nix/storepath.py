"""The /nix/store path Nix gives a path value when it turns it into a string.

``nix-instantiate --eval --json`` prints ``./file`` as ``/nix/store/<hash>-file``: the
store path of the file added "recursively" with SHA-256 (the hash of its NAR
serialisation). Computing it needs no Nix and writes nothing.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
from collections.abc import Callable

from agepy.nix.values import EvalFailure

__all__ = ["store_path"]

STORE_DIR = "/nix/store"
_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=")


def _nar_string(update: Callable[[bytes], object], data: bytes) -> None:
    update(struct.pack("<Q", len(data)))
    update(data)
    update(b"\0" * (-len(data) % 8))


def _dump(update: Callable[[bytes], object], path: str) -> None:
    """Nix's dumpPath: regular files, executables, directories, symlinks."""
    info = os.lstat(path)
    _nar_string(update, b"(")
    _nar_string(update, b"type")
    if stat.S_ISREG(info.st_mode):
        _nar_string(update, b"regular")
        if info.st_mode & stat.S_IXUSR:
            _nar_string(update, b"executable")
            _nar_string(update, b"")
        _nar_string(update, b"contents")
        with open(path, "rb") as handle:
            _nar_string(update, handle.read())
    elif stat.S_ISDIR(info.st_mode):
        _nar_string(update, b"directory")
        for name in sorted(os.listdir(path), key=os.fsencode):  # noqa: PTH208
            _nar_string(update, b"entry")
            _nar_string(update, b"(")
            _nar_string(update, b"name")
            _nar_string(update, os.fsencode(name))
            _nar_string(update, b"node")
            _dump(update, os.path.join(path, name))  # noqa: PTH118
            _nar_string(update, b")")
    elif stat.S_ISLNK(info.st_mode):
        _nar_string(update, b"symlink")
        _nar_string(update, b"target")
        _nar_string(update, os.fsencode(os.readlink(path)))  # noqa: PTH115
    else:
        raise EvalFailure(f"file '{path}' has an unsupported type")
    _nar_string(update, b")")


def _base32(data: bytes) -> str:
    length = (len(data) * 8 - 1) // 5 + 1
    out = []
    for n in range(length - 1, -1, -1):
        bit = n * 5
        index, shift = divmod(bit, 8)
        value = data[index] >> shift
        if index + 1 < len(data):
            value |= data[index + 1] << (8 - shift)
        out.append(_BASE32[value & 0x1F])
    return "".join(out)


def store_path(path: str) -> str:
    """``/nix/store/<hash>-<name>`` for the file or folder at ``path``."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if not name or name.startswith(".") or not set(name) <= _NAME_CHARS:
        raise EvalFailure(
            f"cannot copy '{path}' to the store: '{name}' is not a valid store path name",
            hint="rename the file",
        )
    nar = hashlib.sha256()
    _nar_string(nar.update, b"nix-archive-1")
    try:
        _dump(nar.update, path)
    except FileNotFoundError:
        raise EvalFailure(f"getting status of '{path}': No such file or directory") from None
    except OSError as exc:
        raise EvalFailure(f"cannot read '{path}': {exc.strerror}") from None
    fingerprint = f"source:sha256:{nar.hexdigest()}:{STORE_DIR}:{name}"
    digest = hashlib.sha256(fingerprint.encode()).digest()
    compressed = bytearray(20)
    for index, byte in enumerate(digest):
        compressed[index % 20] ^= byte
    return f"{STORE_DIR}/{_base32(bytes(compressed))}-{name}"
