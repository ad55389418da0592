"""The engine's shortcuts give exactly what the general code gives: the in-memory payload
sealer against the streaming encrypter, and HKDF on HMAC against cryptography's HKDF."""

from __future__ import annotations

import io
import secrets

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from agepy.age._kdf import hkdf
from agepy.age._stream import CHUNK, NONCE_SIZE, encrypt_payload, payload_key, seal_bytes

SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7, 200_000]


@pytest.mark.parametrize("size", SIZES)
def test_in_memory_payload_is_the_streamed_payload(size: int) -> None:
    file_key, nonce = secrets.token_bytes(16), secrets.token_bytes(NONCE_SIZE)
    plain = secrets.token_bytes(size)
    streamed = io.BytesIO()
    encrypt_payload(payload_key(file_key, nonce), io.BytesIO(plain), streamed.write)
    assert seal_bytes(payload_key(file_key, nonce), plain) == streamed.getvalue()


@pytest.mark.parametrize(
    "salt",
    [None, b"", b"s", bytes(32), bytes(range(64))],
    ids=["none", "empty", "s", "zeros", "long"],
)
@pytest.mark.parametrize("length", [16, 32, 64])
def test_hkdf_is_rfc5869(salt: bytes | None, length: int) -> None:
    ikm, info = secrets.token_bytes(32), b"age-encryption.org/v1/X25519"
    expected = HKDF(hashes.SHA256(), length, salt=salt, info=info).derive(ikm)
    assert hkdf(ikm, salt, info, length) == expected
    assert hkdf(b"", salt, info, length) == HKDF(
        hashes.SHA256(), length, salt=salt, info=info
    ).derive(b"")
