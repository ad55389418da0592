"""What every native recipient type shares: HKDF, sealing the 16-byte file key under a
derived key, and the errors for stanzas that are malformed (a failed file) or that are
simply for someone else (keep looking)."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from agepy.age._kdf import hkdf
from agepy.age.header import Stanza, b64decode_canonical
from agepy.errors import HeaderError

__all__ = [
    "FILE_KEY_SIZE",
    "WRAPPED_SIZE",
    "decode_arg",
    "hkdf",
    "malformed",
    "open_file_key",
    "seal_file_key",
]

FILE_KEY_SIZE = 16
WRAPPED_SIZE = FILE_KEY_SIZE + 16
_ZERO_NONCE = bytes(12)
_HINT = "the file is damaged or was not written by age; restore it or re-encrypt it"


def malformed(stanza_type: str, what: str) -> HeaderError:
    return HeaderError(f"malformed {stanza_type} stanza: {what}", hint=_HINT)


def decode_arg(stanza: Stanza, index: int, size: int) -> bytes:
    """Argument ``index`` of ``stanza``, canonical unpadded base64 of exactly ``size`` bytes."""
    try:
        value = b64decode_canonical(stanza.args[index].encode("ascii"), padded=False)
    except ValueError:
        raise malformed(stanza.type, "an argument is not canonical base64") from None
    if len(value) != size:
        raise malformed(stanza.type, f"an argument is not {size} bytes")
    return value


def check_body(stanza: Stanza) -> None:
    if len(stanza.body) != WRAPPED_SIZE:
        raise malformed(stanza.type, f"the body is not {WRAPPED_SIZE} bytes")


def seal_file_key(key: bytes, file_key: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)


def open_file_key(key: bytes, body: bytes) -> bytes | None:
    """The file key, or None when ``key`` does not open ``body`` (not for this identity)."""
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None
