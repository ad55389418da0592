"""The age payload: STREAM of ChaCha20-Poly1305 over 64 KiB chunks (C2SP age spec).

Chunk nonce = 11-byte big-endian counter ‖ a final-chunk flag byte. The last chunk may
be full; an empty chunk is only allowed as the whole of an empty plaintext. The
encrypter reads one chunk ahead to know which chunk is last; the decrypter tries a full
chunk as non-final first, then as final, and releases each chunk once verified.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from agepy.age._kdf import hkdf
from agepy.errors import PayloadError

__all__ = [
    "CHUNK",
    "NONCE_SIZE",
    "Write",
    "as_readinto",
    "decrypt_payload",
    "encrypt_payload",
    "payload_key",
    "seal_bytes",
    "write_all",
]

CHUNK = 64 * 1024
TAG = 16
NONCE_SIZE = 16
_HINT = "the file is damaged or truncated; restore it from version control or re-encrypt it"


class ReadInto(Protocol):
    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


Write = Callable[[bytes | bytearray | memoryview], object]


class _ViaRead:
    """readinto over an object that only promises read()."""

    def __init__(self, source: Any) -> None:
        self._read = source.read

    def readinto(self, buffer: bytearray | memoryview, /) -> int:
        chunk = self._read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def as_readinto(source: Any) -> ReadInto:
    """``source`` itself when it is a file object known to implement readinto (it saves
    a copy per chunk), else a readinto over its read()."""
    if isinstance(source, io.FileIO | io.BufferedReader | io.BytesIO):
        return source
    return _ViaRead(source)


def payload_key(file_key: bytes, nonce: bytes) -> ChaCha20Poly1305:
    """The payload AEAD of a file: HKDF(file key, salt = nonce, info "payload")."""
    key = hkdf(file_key, nonce, b"payload")
    return ChaCha20Poly1305(key)


def _fill(readinto: Callable[[bytearray | memoryview], int | None], buffer: bytearray) -> int:
    """Read until ``buffer`` is full or the source ends; the number of bytes read."""
    # A regular file fills a chunk in one call: no view, no loop, once per 64 KiB.
    got = readinto(buffer) or 0
    if got == len(buffer) or not got:
        return got
    view = memoryview(buffer)
    while got < len(buffer):
        n = readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _nonce(counter: int, final: bool) -> bytes:
    """11-byte big-endian counter, then the final-chunk flag byte."""
    return (counter << 8 | final).to_bytes(12, "big")


class _Output:
    """Where the chunks go: each is sealed (or opened) straight into ``slot(n)``, then
    ``commit(n)`` passes it on. Chunks are gathered into batches of ``_BATCH`` bytes.

    With ``overlap``, once more than one batch is needed, a second thread writes each full
    batch while this one seals the next into the other buffer: ChaCha20-Poly1305 holds the
    GIL, but the write syscall releases it, so on two cores the kernel's copy into the
    page cache no longer waits for the cipher. Small files never start the thread.
    """

    _BATCH = 16 * (CHUNK + TAG)

    def __init__(self, write: Write, *, overlap: bool) -> None:
        self._write = write
        self._overlap = overlap
        # One chunk's room until a second chunk comes: a small secret allocates no batch.
        self._buffers = [memoryview(bytearray(CHUNK + TAG))]
        self._current = 0
        self._used = 0
        self._thread: threading.Thread | None = None
        self._work: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._error: BaseException | None = None

    def slot(self, size: int) -> memoryview:
        buffer = self._buffers[self._current]
        if self._used + size > len(buffer):
            self._flush(more=True)
            buffer = self._buffers[self._current]
        return buffer[self._used : self._used + size]

    def commit(self, size: int) -> None:
        self._used += size

    def _flush(self, *, more: bool) -> None:
        if not self._used:
            return
        if self._thread is None:
            self._write(self._buffers[0][: self._used])
            self._used = 0
            if more and len(self._buffers[0]) < self._BATCH:  # a large file: batch from now on
                self._buffers = [memoryview(bytearray(self._BATCH))]
                if self._overlap:
                    self._buffers.append(memoryview(bytearray(self._BATCH)))
                    self._free.put(1)
                    self._thread = threading.Thread(
                        target=self._writer, name="agepy-write", daemon=True
                    )
                    self._thread.start()
            return
        self._work.put((self._current, self._used))
        self._current, self._used = self._free.get(), 0
        if self._error is not None:
            raise self._error

    def _writer(self) -> None:
        while True:
            index, size = self._work.get()
            if index < 0:
                return
            if self._error is None:
                try:
                    self._write(self._buffers[index][:size])
                except BaseException as exc:  # re-raised in the sealing thread
                    self._error = exc
            self._free.put(index)

    def __enter__(self) -> _Output:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._error is None:  # on a damaged chunk too: what was verified goes out, as in age
                self._flush(more=False)
        finally:
            if self._thread is not None:  # the write in flight finishes before we return
                self._work.put((-1, 0))
                self._thread.join()
        if self._error is not None and kind is None:
            raise self._error


def encrypt_payload(
    aead: ChaCha20Poly1305, src: ReadInto, write: Write, *, overlap: bool = False
) -> None:
    """Encrypt all of ``src`` into ``write``; reads one chunk ahead to find the last.

    ``write`` gets views of buffers reused afterwards: it must consume them. ``overlap``
    writes in a second thread (see :class:`_Output`): only for a ``write`` that is a
    plain file's, which holds no lock agepy's other code could need.
    """
    current, ahead = bytearray(CHUNK), bytearray(CHUNK)
    readinto, encrypt_into = src.readinto, aead.encrypt_into
    size = _fill(readinto, current)
    counter = 0
    with _Output(write, overlap=overlap) as output:
        while True:
            ahead_size = _fill(readinto, ahead) if size == CHUNK else 0
            final = ahead_size == 0
            plain = current if size == CHUNK else memoryview(current)[:size]
            encrypt_into(_nonce(counter, final), plain, None, output.slot(size + TAG))
            output.commit(size + TAG)
            if final:
                return
            counter += 1
            current, ahead, size = ahead, current, ahead_size


def seal_bytes(aead: ChaCha20Poly1305, data: bytes) -> bytes:
    """All of ``data`` encrypted at once: for data already in memory, where the streaming
    encrypter's 192 KiB of buffers would cost more than a small secret's encryption."""
    view = memoryview(data)
    last = max(len(view) - 1, 0) // CHUNK
    sealed = [
        aead.encrypt(
            _nonce(counter, counter == last), view[counter * CHUNK : (counter + 1) * CHUNK], None
        )
        for counter in range(last + 1)
    ]
    return sealed[0] if last == 0 else b"".join(sealed)


def _payload_error(what: str) -> PayloadError:
    return PayloadError(f"the payload is damaged: {what}", hint=_HINT)


def decrypt_payload(
    aead: ChaCha20Poly1305, src: ReadInto, write: Write, *, overlap: bool = False
) -> None:
    """Decrypt the chunks of ``src`` (after the nonce) into ``write``; every chunk is
    authenticated before it is passed on.

    ``write`` gets views of buffers reused afterwards: it must consume them. ``overlap``:
    as for :func:`encrypt_payload`.
    """
    full = CHUNK + TAG
    buffer = bytearray(full)
    readinto, decrypt_into = src.readinto, aead.decrypt_into
    counter = 0
    with _Output(write, overlap=overlap) as output:
        while True:
            size = _fill(readinto, buffer)
            if size < full:
                if size < TAG:
                    raise _payload_error(
                        "no final chunk (truncated)" if size == 0 else "a chunk is too short"
                    )
                if size == TAG and counter > 0:
                    raise _payload_error("an empty chunk after a full one")
                out = output.slot(size - TAG)
                try:
                    decrypt_into(_nonce(counter, True), memoryview(buffer)[:size], None, out)
                except InvalidTag:
                    raise _payload_error(f"chunk {counter} fails authentication") from None
                output.commit(size - TAG)
                return
            out = output.slot(CHUNK)
            try:
                decrypt_into(_nonce(counter, False), buffer, None, out)
            except InvalidTag:
                _final_full_chunk(aead, src, buffer, out, counter)
                output.commit(CHUNK)
                return
            output.commit(CHUNK)
            if counter >= (1 << 88) - 2:
                raise _payload_error("too many chunks")
            counter += 1


def _final_full_chunk(
    aead: ChaCha20Poly1305, src: ReadInto, buffer: bytearray, plain: memoryview, counter: int
) -> None:
    """A full chunk that is not a middle one must be the last, and the end of the data."""
    try:
        aead.decrypt_into(_nonce(counter, True), buffer, None, plain)
    except InvalidTag:
        raise _payload_error(f"chunk {counter} fails authentication") from None
    if _fill(src.readinto, bytearray(1)):
        raise _payload_error("data after the final chunk")


def write_all(raw: Any) -> Write:
    """A write function over a raw (unbuffered) file that never writes short."""

    def write(data: bytes | bytearray | memoryview) -> None:
        written = raw.write(data)
        if written == len(data):  # the usual case: one call, no view
            return
        view = memoryview(data)[written:]
        while view:
            view = view[raw.write(view) :]

    return write
