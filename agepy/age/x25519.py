"""The native X25519 recipient type: ``age1…`` recipients, ``AGE-SECRET-KEY-1…`` identities."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from agepy.age import _bech32
from agepy.age._wrapping import (
    check_body,
    decode_arg,
    hkdf,
    malformed,
    open_file_key,
    seal_file_key,
)
from agepy.age.header import Stanza, b64encode_raw

__all__ = [
    "IDENTITY_HRP",
    "RECIPIENT_HRP",
    "X25519Identity",
    "X25519Recipient",
    "exchange",
    "new_ephemeral",
]

RECIPIENT_HRP = "age"
IDENTITY_HRP = "age-secret-key-"
STANZA_TYPE = "X25519"
_LABEL = b"age-encryption.org/v1/X25519"


def new_ephemeral() -> X25519PrivateKey:
    """A fresh X25519 private key for one stanza (cryptography's public API: a private
    binding measured no faster, within noise, so none is used)."""
    return X25519PrivateKey.generate()


def exchange(private: X25519PrivateKey, public: bytes | X25519PublicKey, what: str) -> bytes:
    """X25519; an all-zero result (a low-order point) is a malformed stanza, as in age."""
    if isinstance(public, bytes):
        public = X25519PublicKey.from_public_bytes(public)
    try:
        return private.exchange(public)
    except ValueError:
        raise malformed(what, "the share is a low-order point") from None


class X25519Recipient:
    """Wraps file keys to one X25519 public key (32 bytes)."""

    def __init__(self, public: bytes) -> None:
        self.public = public
        self._key = X25519PublicKey.from_public_bytes(public)

    def wrap(self, file_key: bytes) -> Stanza:
        ephemeral = new_ephemeral()
        share = ephemeral.public_key().public_bytes_raw()
        shared = exchange(ephemeral, self._key, STANZA_TYPE)
        key = hkdf(shared, share + self.public, _LABEL)
        return Stanza(STANZA_TYPE, (b64encode_raw(share),), seal_file_key(key, file_key))

    def __str__(self) -> str:
        return _bech32.encode(RECIPIENT_HRP, self.public)


class X25519Identity:
    """Unwraps the X25519 stanzas made for one private key (32 bytes)."""

    def __init__(self, secret: bytes) -> None:
        self._private = X25519PrivateKey.from_private_bytes(secret)
        self.public = self._private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(X25519PrivateKey.generate().private_bytes_raw())

    def secret_text(self) -> str:
        return _bech32.encode(IDENTITY_HRP, self._private.private_bytes_raw(), upper=True)

    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self.public)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != STANZA_TYPE:
                continue
            if len(stanza.args) != 1:
                raise malformed(STANZA_TYPE, "it needs exactly one argument")
            share = decode_arg(stanza, 0, 32)
            check_body(stanza)
            shared = exchange(self._private, share, STANZA_TYPE)
            key = hkdf(shared, share + self.public, _LABEL)
            file_key = open_file_key(key, stanza.body)
            if file_key is not None:
                return file_key
        return None
