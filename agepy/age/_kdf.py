"""HKDF-SHA-256 (RFC 5869) for the short keys age derives, on ``cryptography``'s HMAC.

For one output block, extract and expand are one HMAC each. Built from HMAC objects,
this costs about half of ``cryptography``'s HKDF class right after an X25519 exchange
(measured on OpenSSL 4), and a file to six recipients derives eight such keys.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["hkdf"]

SHA256 = hashes.SHA256()
_BLOCK = 32
_NO_SALT = bytes(_BLOCK)


def hkdf(ikm: bytes, salt: bytes | None, info: bytes, length: int = _BLOCK) -> bytes:
    """HKDF-SHA-256(ikm, salt, info) of ``length`` bytes; no salt means HashLen zeros."""
    if length > _BLOCK:
        return HKDF(SHA256, length, salt=salt, info=info).derive(ikm)
    extract = hmac.HMAC(_NO_SALT if salt is None else salt, SHA256)
    extract.update(ikm)
    expand = hmac.HMAC(extract.finalize(), SHA256)
    expand.update(info + b"\x01")
    return expand.finalize()[:length]
