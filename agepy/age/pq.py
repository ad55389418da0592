"""The post-quantum hybrid recipient type of age 1.3, ``mlkem768x25519``: ML-KEM-768 and
X25519 combined as X-Wing, used as the KEM of HPKE (base mode, HKDF-SHA256,
ChaCha20-Poly1305). ``age1pq1…`` recipients, ``AGE-SECRET-KEY-PQ-1…`` identities.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from agepy.age import _bech32
from agepy.age._wrapping import check_body, decode_arg, malformed
from agepy.age.header import Stanza, b64encode_raw
from agepy.age.x25519 import exchange, new_ephemeral

__all__ = [
    "IDENTITY_HRP",
    "RECIPIENT_HRP",
    "STANZA_TYPE",
    "HybridIdentity",
    "HybridRecipient",
]

STANZA_TYPE = "mlkem768x25519"
RECIPIENT_HRP = "age1pq"
IDENTITY_HRP = "age-secret-key-pq-"
MLKEM_PUBLIC = 1184
MLKEM_CIPHERTEXT = 1088
PUBLIC_SIZE = MLKEM_PUBLIC + 32
ENC_SIZE = MLKEM_CIPHERTEXT + 32
_XWING_LABEL = b"\x5c\x2e\x2f\x2f\x5e\x5c"
_SUITE = b"HPKE" + b"\x64\x7a" + b"\x00\x01" + b"\x00\x03"
_INFO = b"age-encryption.org/mlkem768x25519"


def _extract(salt: bytes, label: bytes, ikm: bytes) -> bytes:
    mac = hmac.HMAC(salt, hashes.SHA256())
    mac.update(b"HPKE-v1" + _SUITE + label + ikm)
    return mac.finalize()


def _expand(prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled = length.to_bytes(2, "big") + b"HPKE-v1" + _SUITE + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled).derive(prk)


def _key_and_nonce(shared: bytes) -> tuple[bytes, bytes]:
    context = b"\x00" + _extract(b"", b"psk_id_hash", b"") + _extract(b"", b"info_hash", _INFO)
    secret = _extract(shared, b"secret", b"")
    return _expand(secret, b"key", context, 32), _expand(secret, b"base_nonce", context, 12)


def _combine(ss_pq: bytes, ss_x: bytes, ct_x: bytes, ek_x: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA3_256())
    digest.update(ss_pq + ss_x + ct_x + ek_x + _XWING_LABEL)
    return digest.finalize()


def _seal(shared: bytes, file_key: bytes) -> bytes:
    key, nonce = _key_and_nonce(shared)
    return ChaCha20Poly1305(key).encrypt(nonce, file_key, None)


class HybridRecipient:
    """Wraps file keys to one ``age1pq1…`` recipient: ek_PQ (1184 bytes) ‖ ek_X25519 (32)."""

    def __init__(self, public: bytes) -> None:
        self.public = public
        # ValueError for a malformed ML-KEM key; the caller words it.
        self._pq = MLKEM768PublicKey.from_public_bytes(public[:MLKEM_PUBLIC])
        self._x_bytes = public[MLKEM_PUBLIC:]
        self._x = X25519PublicKey.from_public_bytes(self._x_bytes)

    def wrap(self, file_key: bytes) -> Stanza:
        ss_pq, ct_pq = self._pq.encapsulate()
        ephemeral = new_ephemeral()
        ct_x = ephemeral.public_key().public_bytes_raw()
        ss_x = exchange(ephemeral, self._x, STANZA_TYPE)
        shared = _combine(ss_pq, ss_x, ct_x, self._x_bytes)
        return Stanza(STANZA_TYPE, (b64encode_raw(ct_pq + ct_x),), _seal(shared, file_key))

    def __str__(self) -> str:
        return _bech32.encode(RECIPIENT_HRP, self.public)


class HybridIdentity:
    """Unwraps the hybrid stanzas of one identity, from its 32-byte seed."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        shake = hashes.Hash(hashes.SHAKE256(96))
        shake.update(seed)
        expanded = shake.finalize()
        self._pq = MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        self._x = X25519PrivateKey.from_private_bytes(expanded[64:])
        self._x_public = self._x.public_key().public_bytes_raw()
        self.public = self._pq.public_key().public_bytes_raw() + self._x_public

    @classmethod
    def generate(cls) -> HybridIdentity:
        return cls(secrets.token_bytes(32))

    def secret_text(self) -> str:
        return _bech32.encode(IDENTITY_HRP, self.seed, upper=True)

    def recipient(self) -> HybridRecipient:
        return HybridRecipient(self.public)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != STANZA_TYPE:
                continue
            if len(stanza.args) != 1:
                raise malformed(STANZA_TYPE, "it needs exactly one argument")
            enc = decode_arg(stanza, 0, ENC_SIZE)
            check_body(stanza)
            ct_x = enc[MLKEM_CIPHERTEXT:]
            ss_pq = self._pq.decapsulate(enc[:MLKEM_CIPHERTEXT])
            ss_x = exchange(self._x, ct_x, STANZA_TYPE)
            shared = _combine(ss_pq, ss_x, ct_x, self._x_public)
            key, nonce = _key_and_nonce(shared)
            file_key = _open(key, nonce, stanza.body)
            if file_key is not None:
                return file_key
        return None


def _open(key: bytes, nonce: bytes, body: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, body, None)
    except InvalidTag:
        return None
