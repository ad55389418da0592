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
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from agepy.errors import PayloadError

__all__ = [
    "CHUNK",
    "NONCE_SIZE",
    "as_readinto",
    "decrypt_payload",
    "encrypt_payload",
    "payload_key",
]

CHUNK = 64 * 1024
TAG = 16
NONCE_SIZE = 16
_HINT = "the file is damaged or truncated; restore it from version control or re-encrypt it"


class ReadInto(Protocol):
    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


Write = Callable[[bytes], object]


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
    key = HKDF(hashes.SHA256(), 32, salt=nonce, info=b"payload").derive(file_key)
    return ChaCha20Poly1305(key)


def _fill(src: ReadInto, buffer: bytearray) -> int:
    """Read until ``buffer`` is full or the source ends; the number of bytes read."""
    view = memoryview(buffer)
    got = 0
    while got < len(buffer):
        n = src.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _nonce(counter: int, final: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def encrypt_payload(aead: ChaCha20Poly1305, src: ReadInto, write: Write) -> None:
    """Encrypt all of ``src`` into ``write``; reads one chunk ahead to find the last."""
    current, ahead = bytearray(CHUNK), bytearray(CHUNK)
    size = _fill(src, current)
    counter = 0
    while True:
        ahead_size = _fill(src, ahead) if size == CHUNK else 0
        final = ahead_size == 0
        data = current if size == CHUNK else memoryview(current)[:size]
        write(aead.encrypt(_nonce(counter, final), data, None))
        if final:
            return
        counter += 1
        current, ahead, size = ahead, current, ahead_size


def _payload_error(what: str) -> PayloadError:
    return PayloadError(f"the payload is damaged: {what}", hint=_HINT)


def decrypt_payload(aead: ChaCha20Poly1305, src: ReadInto, write: Write) -> None:
    """Decrypt the chunks of ``src`` (after the nonce) into ``write``, chunk by chunk."""
    full = CHUNK + TAG
    buffer = bytearray(full)
    counter = 0
    while True:
        size = _fill(src, buffer)
        if size < full:
            if size < TAG:
                raise _payload_error(
                    "no final chunk (truncated)" if size == 0 else "a chunk is too short"
                )
            if size == TAG and counter > 0:
                raise _payload_error("an empty chunk after a full one")
            try:
                plain = aead.decrypt(_nonce(counter, True), memoryview(buffer)[:size], None)
            except InvalidTag:
                raise _payload_error(f"chunk {counter} fails authentication") from None
            write(plain)
            return
        try:
            plain = aead.decrypt(_nonce(counter, False), buffer, None)
        except InvalidTag:
            _final_full_chunk(aead, src, buffer, counter, write)
            return
        write(plain)
        if counter >= (1 << 88) - 2:
            raise _payload_error("too many chunks")
        counter += 1


def _final_full_chunk(
    aead: ChaCha20Poly1305, src: ReadInto, buffer: bytearray, counter: int, write: Write
) -> None:
    """A full chunk that is not a middle one must be the last, and the end of the data."""
    try:
        plain = aead.decrypt(_nonce(counter, True), buffer, None)
    except InvalidTag:
        raise _payload_error(f"chunk {counter} fails authentication") from None
    if _fill(src, bytearray(1)):
        raise _payload_error("data after the final chunk")
    write(plain)
