"""Encrypt to recipients, streaming through pyrage (rage): memory stays flat."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from agepy.age.atomic import atomic_output, atomic_path
from agepy.errors import AgepyError, RecipientError, StoreError
from agepy.keys import Recipient, parse_recipient

__all__ = ["encrypt_bytes", "encrypt_file"]

_IO_BUFFER = 1 << 20


def _pyrage_recipients(recipients: Sequence[Recipient | str]) -> list[Any]:
    if not recipients:
        raise RecipientError(
            "no recipients to encrypt to", hint="give at least one public key (-r KEY or -R FILE)"
        )
    parsed = [r if isinstance(r, Recipient) else parse_recipient(r) for r in recipients]
    return [r.to_pyrage() for r in parsed]


def _encrypt_error(exc: Exception) -> AgepyError:
    return RecipientError(f"encryption failed: {exc}", hint="check the recipients")


def encrypt_bytes(
    data: bytes, recipients: Sequence[Recipient | str], *, armor: bool = False
) -> bytes:
    """``data`` encrypted to ``recipients`` (binary, or armored text if ``armor``)."""
    import pyrage

    native = _pyrage_recipients(recipients)
    try:
        return bytes(pyrage.encrypt(data, native, armored=armor))
    except pyrage.EncryptError as exc:
        raise _encrypt_error(exc) from None


def encrypt_file(
    src: Path | BinaryIO,
    dst: Path | BinaryIO,
    recipients: Sequence[Recipient | str],
    *,
    armor: bool = False,
    mode: int = 0o644,
) -> None:
    """Encrypt ``src`` (a path or binary reader) into ``dst`` (atomically when a path)."""
    import pyrage

    native = _pyrage_recipients(recipients)
    try:
        if isinstance(src, Path) and isinstance(dst, Path):
            # File to file, rage does the I/O: ~1.3x faster than through Python objects.
            _check_readable(src)
            with atomic_path(dst, mode=mode) as temp:
                pyrage.encrypt_file(str(src), str(temp), native, armored=armor)
            return
        with contextlib.ExitStack() as stack:
            # pyrage reads and writes 8 KiB at a time: large buffers save system calls.
            buffering = _IO_BUFFER
            if isinstance(src, Path):
                _check_readable(src)
                src = stack.enter_context(src.open("rb", buffering=buffering))
            if isinstance(dst, Path):
                dst = stack.enter_context(atomic_output(dst, mode=mode, buffering=buffering))
            pyrage.encrypt_io(src, dst, native, armored=armor)
    except pyrage.EncryptError as exc:
        raise _encrypt_error(exc) from None
    except OSError as exc:
        raise StoreError(
            f"cannot write {dst}: {exc.strerror or exc}", hint="check the path"
        ) from None


def _check_readable(path: Path) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise StoreError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the path"
        ) from None
