"""The SSH recipient types: ``ssh-ed25519`` (X25519 on the key's Montgomery form, with a
tweak) and ``ssh-rsa`` (RSA-OAEP-SHA256), as age's ``agessh`` package defines them.

A stanza names its key by a tag (the first 4 bytes of SHA-256 of the wire-format key), so
an identity only does work, and a locked key is only unlocked, when a tag matches.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from agepy.age._wrapping import (
    FILE_KEY_SIZE,
    check_body,
    decode_arg,
    hkdf,
    malformed,
    open_file_key,
    seal_file_key,
)
from agepy.age.header import Stanza, b64encode_raw
from agepy.age.x25519 import exchange, new_ephemeral
from agepy.errors import DecryptError, RecipientError

__all__ = [
    "Ed25519Identity",
    "Ed25519Recipient",
    "RSAIdentity",
    "RSARecipient",
    "ed25519_to_montgomery",
    "ssh_tag",
]

_ED25519_LABEL = b"age-encryption.org/v1/ssh-ed25519"
_RSA_LABEL = b"age-encryption.org/v1/ssh-rsa"
_P = 2**255 - 19
_D = (-121665 * pow(121666, -1, _P)) % _P
_HINT = "the file is damaged, or this key's stanza was tampered with; re-encrypt it"


def ssh_tag(blob: bytes) -> str:
    """The age stanza tag: unpadded base64 of the first 4 bytes of SHA-256(blob)."""
    return base64.b64encode(hashlib.sha256(blob).digest()[:4]).decode().rstrip("=")


def ed25519_to_montgomery(point: bytes) -> bytes:
    """The X25519 u-coordinate of an Ed25519 public key; ValueError if it is no point."""
    # Like Go's edwards25519, non-canonical y (≥ p) is accepted, reduced; x's sign bit
    # does not change u.
    y = (int.from_bytes(point, "little") & ((1 << 255) - 1)) % _P
    y2 = y * y % _P
    # The point exists iff x² = (y² − 1) / (d·y² + 1) has a square root mod p.
    x2 = (y2 - 1) * pow(_D * y2 + 1, -1, _P) % _P
    if x2 and pow(x2, (_P - 1) // 2, _P) != 1:
        raise ValueError("not a curve point")
    if y == 1:
        raise ValueError("the identity point")
    u = (1 + y) * pow(1 - y, -1, _P) % _P
    return u.to_bytes(32, "little")


def _tweak(blob: bytes) -> bytes:
    return hkdf(b"", blob, _ED25519_LABEL)


def _ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def ed25519_blob(point: bytes) -> bytes:
    return _ssh_string(b"ssh-ed25519") + _ssh_string(point)


class Ed25519Recipient:
    """Wraps file keys to one ssh-ed25519 public key (its 32-byte point)."""

    def __init__(self, point: bytes) -> None:
        blob = ed25519_blob(point)
        try:
            self._montgomery = ed25519_to_montgomery(point)
        except ValueError:
            raise RecipientError(
                "ssh-ed25519 key is not a valid curve point", hint="copy the key line again"
            ) from None
        self.tag = ssh_tag(blob)
        # tweak·(e·P) = e·(tweak·P): the tweaked point, once, saves one X25519 per wrap.
        tweak = X25519PrivateKey.from_private_bytes(_tweak(blob))
        tweaked = exchange(tweak, self._montgomery, "ssh-ed25519")
        self._tweaked = X25519PublicKey.from_public_bytes(tweaked)

    def wrap(self, file_key: bytes) -> Stanza:
        ephemeral = new_ephemeral()
        share = ephemeral.public_key().public_bytes_raw()
        shared = exchange(ephemeral, self._tweaked, "ssh-ed25519")
        key = hkdf(shared, share + self._montgomery, _ED25519_LABEL)
        return Stanza("ssh-ed25519", (self.tag, b64encode_raw(share)), seal_file_key(key, file_key))


class Ed25519Identity:
    """Unwraps the ssh-ed25519 stanzas of one key, from its 32-byte seed."""

    def __init__(self, seed: bytes, point: bytes) -> None:
        blob = ed25519_blob(point)
        self.tag = ssh_tag(blob)
        self._tweak = X25519PrivateKey.from_private_bytes(_tweak(blob))
        digest = hashes.Hash(hashes.SHA512())
        digest.update(seed)
        scalar = digest.finalize()[:32]  # X25519 clamps it as Ed25519 does
        self._private = X25519PrivateKey.from_private_bytes(scalar)
        self._montgomery = ed25519_to_montgomery(point)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != "ssh-ed25519":
                continue
            if len(stanza.args) != 2:
                raise malformed(stanza.type, "it needs exactly two arguments")
            share = decode_arg(stanza, 1, 32)
            if stanza.args[0] != self.tag:
                continue
            check_body(stanza)
            shared = exchange(self._private, share, stanza.type)
            shared = exchange(self._tweak, shared, stanza.type)
            key = hkdf(shared, share + self._montgomery, _ED25519_LABEL)
            file_key = open_file_key(key, stanza.body)
            if file_key is None:
                raise DecryptError(
                    f"the ssh-ed25519 stanza for key tag {self.tag} does not decrypt", hint=_HINT
                )
            return file_key
        return None


_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=_RSA_LABEL
)


class RSARecipient:
    """Wraps file keys to one ssh-rsa public key."""

    def __init__(self, blob: bytes, key: rsa.RSAPublicKey) -> None:
        self.tag = ssh_tag(blob)
        self._key = key

    def wrap(self, file_key: bytes) -> Stanza:
        return Stanza("ssh-rsa", (self.tag,), self._key.encrypt(file_key, _OAEP))


class RSAIdentity:
    """Unwraps the ssh-rsa stanzas of one private key."""

    def __init__(self, key: rsa.RSAPrivateKey, blob: bytes) -> None:
        self.tag = ssh_tag(blob)
        self._key = key

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != "ssh-rsa":
                continue
            if len(stanza.args) != 1:
                raise malformed(stanza.type, "it needs exactly one argument")
            if stanza.args[0] != self.tag:
                continue
            try:
                file_key = self._key.decrypt(stanza.body, _OAEP)
            except ValueError:
                file_key = b""
            if len(file_key) != FILE_KEY_SIZE:
                raise DecryptError(
                    f"the ssh-rsa stanza for key tag {self.tag} does not decrypt", hint=_HINT
                )
            return file_key
        return None
