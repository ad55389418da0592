"""age's ASCII armor (strict PEM), decoded as a stream so memory stays flat.

Rules, as in the C2SP age spec and Go's ``filippo.io/age/armor``: the header line
``-----BEGIN AGE ENCRYPTED FILE-----``; canonical padded base64 in lines of exactly 64
columns except a shorter (non-empty) last one; the footer line; LF or CRLF line ends,
the same throughout; at most 1 KiB of whitespace before and after; nothing else.
"""

from __future__ import annotations

import binascii
import io
from typing import Protocol

from agepy.age.header import b64decode_canonical
from agepy.errors import ArmorError

__all__ = ["BEGIN", "END", "ArmorReader", "ArmorWriter", "armor", "dearmor", "looks_armored"]

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
COLUMNS = 64
MAX_WHITESPACE = 1024
WHITESPACE = b" \t\n\r\v\f"
_READ_SIZE = 1 << 20
_HINT = "the armored file is damaged; restore it from version control or re-encrypt it"


class Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


def looks_armored(prefix: bytes) -> bool:
    """Whether a file starting with ``prefix`` is meant to be armored (not binary age)."""
    if prefix.startswith(b"age-encryption.org/"):
        return False
    return prefix.lstrip(WHITESPACE).startswith(b"-----") or BEGIN in prefix


def _error(message: str) -> ArmorError:
    return ArmorError(f"invalid armor: {message}", hint=_HINT)


class ArmorReader:
    """A binary reader of the age file inside an armored stream. Errors: ArmorError."""

    def __init__(self, raw: Reader) -> None:
        self._raw = raw
        self._eol = b""
        self._pending = b""  # raw bytes read but not yet split into lines
        self._eof = False  # the raw stream is exhausted
        self._done = False  # the footer was seen and checked
        self._short_seen = False  # a short data line was seen: the footer must follow
        self._out = b""
        self._out_pos = 0

    # -- reading the raw stream ---------------------------------------------------------

    def _read_raw(self) -> bool:
        chunk = self._raw.read(_READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._pending += chunk
        return True

    def _start(self) -> None:
        while True:
            stripped = self._pending.lstrip(WHITESPACE)
            skipped = len(self._pending) - len(stripped)
            if skipped > MAX_WHITESPACE:
                raise _error("more than 1 KiB of whitespace before the armor")
            if stripped and b"\n" in stripped:
                break
            if len(stripped) > len(BEGIN) + 2:
                break  # no line end where the first line should end: refused below
            if not self._read_raw():
                if not stripped:
                    raise _error("the file is empty")
                break
        self._pending = stripped
        end = stripped.find(b"\n")
        line = stripped if end < 0 else stripped[:end]
        if line.endswith(b"\r"):
            line, self._eol = line[:-1], b"\r\n"
        else:
            self._eol = b"\n"
        if line != BEGIN:
            shown = line[:40].decode("ascii", "replace")
            raise _error(f"the first line must be {BEGIN.decode()}, not {shown!r}")
        if end < 0:
            raise _error("nothing after the first line")
        self._pending = stripped[end + 1 :]

    # -- decoding -------------------------------------------------------------------------

    def _refill(self) -> None:
        """Decode the next batch of complete lines into ``self._out``."""
        if not self._eol:
            self._start()
        while not self._done:
            if self._eol not in self._pending and not self._eof:
                if len(self._pending) > 2 * COLUMNS:
                    raise _error("a line is longer than 64 columns")
                self._read_raw()
                continue
            lines = self._pending.split(self._eol)
            if self._eof:
                complete, rest = (lines[:-1] if lines[-1] == b"" else lines), b""
                if not complete:
                    raise _error("no end line (-----END AGE ENCRYPTED FILE-----)")
            else:
                complete, rest = lines[:-1], lines[-1]
            decoded = self._decode_lines(complete, rest)
            if decoded:
                self._out, self._out_pos = decoded, 0
                return
        self._out, self._out_pos = b"", 0

    def _decode_lines(self, lines: list[bytes], rest: bytes) -> bytes:
        out = b""
        full = 0
        if not self._short_seen:
            while full < len(lines) and len(lines[full]) == COLUMNS:
                full += 1
        if full:
            try:
                out = binascii.a2b_base64(b"".join(lines[:full]), strict_mode=True)
                if b"=" in lines[full - 1]:
                    b64decode_canonical(lines[full - 1], padded=True)
                    self._short_seen = True  # padding ends the data: the end line follows
            except (binascii.Error, ValueError):
                raise _error("a line is not canonical base64") from None
        if full == len(lines):
            self._pending = rest
            return out
        line = lines[full]
        if line == END:
            self._finish(lines[full + 1 :], rest)
            return out
        if self._short_seen:
            raise _error("a short line in the middle of the armor, or text before the end line")
        if len(line) > COLUMNS:
            raise _error("a line is longer than 64 columns")
        if not line:
            raise _error("an empty line inside the armor")
        try:
            out += b64decode_canonical(line, padded=True)
        except ValueError:
            raise _error("the last line is not canonical padded base64") from None
        self._short_seen = True
        self._pending = self._eol.join([*lines[full + 1 :], rest])
        return out

    def _finish(self, after: list[bytes], rest: bytes) -> None:
        trailing = self._eol.join([b"", *after, rest]) if after or rest else b""
        while not self._eof and len(trailing) <= MAX_WHITESPACE:
            chunk = self._raw.read(MAX_WHITESPACE + 1)
            if not chunk:
                self._eof = True
            trailing += chunk
        if trailing.strip(WHITESPACE):
            raise _error("text after the end line")
        if len(trailing) > MAX_WHITESPACE:
            raise _error("more than 1 KiB of whitespace after the armor")
        self._done = True
        self._pending = b""

    # -- the reader interface ----------------------------------------------------------

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self.read(_READ_SIZE):
                parts.append(chunk)
            return b"".join(parts)
        if self._out_pos >= len(self._out):
            if self._done:
                return b""
            self._refill()
        chunk = self._out[self._out_pos : self._out_pos + size]
        self._out_pos += len(chunk)
        return chunk

    def readinto(self, buffer: bytearray | memoryview, /) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


# Bytes encoded per batch: a multiple of 48 (one 64-column line), about 48 KiB.
_WRITE_BATCH = 48 * 1024


class ArmorWriter:
    """Writes armored text of the bytes written to it into ``out``; call close() at the
    end (it writes the last line and the footer, and does not close ``out``)."""

    def __init__(self, out: Writer) -> None:
        self._out = out
        self._pending = bytearray()
        out.write(BEGIN + b"\n")

    def _emit(self, data: bytes | bytearray | memoryview) -> None:
        encoded = binascii.b2a_base64(data, newline=False)
        lines = [encoded[i : i + COLUMNS] for i in range(0, len(encoded), COLUMNS)]
        self._out.write(b"\n".join(lines) + b"\n")

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self._pending += data
        if len(self._pending) >= _WRITE_BATCH:
            whole = len(self._pending) - len(self._pending) % 48
            self._emit(self._pending[:whole])
            del self._pending[:whole]
        return len(data)

    def close(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = bytearray()
        self._out.write(END + b"\n")


def armor(data: bytes) -> bytes:
    """``data`` as armored text."""
    out = io.BytesIO()
    writer = ArmorWriter(out)
    writer.write(data)
    writer.close()
    return out.getvalue()


def dearmor(data: bytes) -> bytes:
    """The binary age file inside armored ``data``; ArmorError if it breaks a rule."""
    return ArmorReader(io.BytesIO(data)).read()
