"""The age payload: STREAM of ChaCha20-Poly1305 over 64 KiB chunks (C2SP age spec).

Chunk nonce = 11-byte big-endian counter ‖ a final-chunk flag byte. The last chunk may
be full; an empty chunk is only allowed as the whole of an empty plaintext. The
encrypter reads one chunk ahead to know which chunk is last; the decrypter tries a full
chunk as non-final first, then as final, and releases each chunk once verified.
"""

from __future__ import annotations

import io
from collections.abc import Callable
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


def encrypt_payload(aead: ChaCha20Poly1305, src: ReadInto, write: Write) -> None:
    """Encrypt all of ``src`` into ``write``; reads one chunk ahead to find the last.

    ``write`` gets a view of a buffer reused for the next chunk: it must consume it.
    """
    current, ahead = bytearray(CHUNK), bytearray(CHUNK)
    sealed = bytearray(CHUNK + TAG)
    readinto, encrypt_into = src.readinto, aead.encrypt_into
    size = _fill(readinto, current)
    counter = 0
    while True:
        ahead_size = _fill(readinto, ahead) if size == CHUNK else 0
        final = ahead_size == 0
        if size == CHUNK:
            encrypt_into(_nonce(counter, final), current, None, sealed)
            write(sealed)
        else:
            out = memoryview(sealed)[: size + TAG]
            encrypt_into(_nonce(counter, final), memoryview(current)[:size], None, out)
            write(out)
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


def decrypt_payload(aead: ChaCha20Poly1305, src: ReadInto, write: Write) -> None:
    """Decrypt the chunks of ``src`` (after the nonce) into ``write``, chunk by chunk.

    ``write`` gets a view of a buffer reused for the next chunk: it must consume it.
    """
    full = CHUNK + TAG
    buffer = bytearray(full)
    plain = bytearray(CHUNK)
    readinto, decrypt_into = src.readinto, aead.decrypt_into
    counter = 0
    while True:
        size = _fill(readinto, buffer)
        if size < full:
            if size < TAG:
                raise _payload_error(
                    "no final chunk (truncated)" if size == 0 else "a chunk is too short"
                )
            if size == TAG and counter > 0:
                raise _payload_error("an empty chunk after a full one")
            out = memoryview(plain)[: size - TAG]
            try:
                aead.decrypt_into(_nonce(counter, True), memoryview(buffer)[:size], None, out)
            except InvalidTag:
                raise _payload_error(f"chunk {counter} fails authentication") from None
            write(out)
            return
        try:
            decrypt_into(_nonce(counter, False), buffer, None, plain)
        except InvalidTag:
            _final_full_chunk(aead, src, buffer, plain, counter)
            write(plain)
            return
        write(plain)
        if counter >= (1 << 88) - 2:
            raise _payload_error("too many chunks")
        counter += 1


def _final_full_chunk(
    aead: ChaCha20Poly1305, src: ReadInto, buffer: bytearray, plain: bytearray, counter: int
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
