"""Reading private key files: OpenSSH and PEM keys (public part without the passphrase,
unlocking with it), and passphrase-encrypted age identity files (``age -p``)."""

from __future__ import annotations

import base64
import binascii
import io
import struct
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from agepy.age._stream import NONCE_SIZE, decrypt_payload, payload_key
from agepy.age.armor import dearmor, looks_armored
from agepy.age.header import parse_header, split_header, verify_mac
from agepy.age.scrypt import ScryptIdentity
from agepy.errors import IdentityError, Reason

__all__ = [
    "OPENSSH_BEGIN",
    "PEM_MARKERS",
    "DamagedKeyError",
    "decrypt_ssh_key",
    "load_private_key",
    "open_passphrase_file",
    "openssh_public",
    "read_string",
]

OPENSSH_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
_OPENSSH_END = "-----END OPENSSH PRIVATE KEY-----"
PEM_MARKERS = (
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----",
)
_MAGIC = b"openssh-key-v1\x00"
_DAMAGED_HINT = "copy the key file again, unchanged"


def read_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise ValueError("truncated")
    (length,) = struct.unpack(">I", blob[offset : offset + 4])
    end = offset + 4 + length
    if end > len(blob):
        raise ValueError("truncated")
    return blob[offset + 4 : end], end


def openssh_public(path: Path, armored: str) -> tuple[bytes, bool]:
    """The public key blob of an openssh-key-v1 file and whether it is encrypted."""
    body = armored[len(OPENSSH_BEGIN) :]
    end = body.find(_OPENSSH_END)
    try:
        if end < 0:
            raise ValueError("no end line")
        blob = base64.b64decode("".join(body[:end].split()), validate=True)
        if not blob.startswith(_MAGIC):
            raise ValueError("bad magic")
        cipher, pos = read_string(blob, len(_MAGIC))
        _kdf, pos = read_string(blob, pos)
        _kdf_options, pos = read_string(blob, pos)
        if pos + 4 > len(blob) or struct.unpack(">I", blob[pos : pos + 4])[0] != 1:
            raise ValueError("not exactly one key")
        public, pos = read_string(blob, pos + 4)
    except (ValueError, binascii.Error):
        raise IdentityError(
            f"{path} is a damaged OpenSSH private key",
            hint=_DAMAGED_HINT,
        ) from None
    return public, cipher != b"none"


def load_private_key(data: bytes, password: bytes | None = None) -> PrivateKeyTypes:
    """The private key of an OpenSSH or PEM key file; ValueError if it cannot be read
    (DamagedKeyError if it decodes but its numbers disagree).

    An RSA key gets the sanity checks age makes (Go's rsa.PrivateKey.Validate), not
    OpenSSL's, which also tests both primes for primality: 50 ms for a 2048-bit key and
    350 ms for a 4096-bit one, paid by every command that loads the key.
    """
    key: PrivateKeyTypes
    if data.lstrip().startswith(OPENSSH_BEGIN.encode()):
        key = serialization.load_ssh_private_key(
            data, password=password, unsafe_skip_rsa_key_validation=True
        )
    else:
        key = serialization.load_pem_private_key(
            data, password=password, unsafe_skip_rsa_key_validation=True
        )
    if isinstance(key, rsa.RSAPrivateKey):
        _check_rsa(key.private_numbers())
    return key


class DamagedKeyError(ValueError):
    """A private key that decodes, but whose numbers do not fit together."""


def _check_rsa(numbers: rsa.RSAPrivateNumbers) -> None:
    """Raise DamagedKeyError unless the key's numbers fit together (n = pq, e·d ≡ 1 modulo
    p-1 and q-1, and the CRT values OpenSSL decrypts with agree)."""
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    p, q, d = numbers.p, numbers.q, numbers.d
    if not 2 <= e < 1 << 31 or p <= 1 or q <= 1 or p * q != n:
        raise DamagedKeyError("invalid RSA key: the modulus is not the product of its primes")
    if (d * e) % (p - 1) != 1 or (d * e) % (q - 1) != 1:
        raise DamagedKeyError("invalid RSA key: the private exponent does not match")
    if numbers.dmp1 != d % (p - 1) or numbers.dmq1 != d % (q - 1) or (numbers.iqmp * q) % p != 1:
        raise DamagedKeyError("invalid RSA key: its CRT values do not match")


def decrypt_ssh_key(data: bytes, passphrase: str | None, path: Path) -> bytes:
    """Unencrypted OpenSSH private key bytes (unlocked once, kept for the process)."""
    password = passphrase.encode() if passphrase is not None else None
    try:
        key = load_private_key(data, password)
    except DamagedKeyError as exc:  # unlocked, so the passphrase was right
        raise IdentityError(f"cannot use private key {path}: {exc}", hint=_DAMAGED_HINT) from None
    except (ValueError, TypeError) as exc:
        if passphrase is not None:
            raise IdentityError(
                f"wrong passphrase for {path}",
                hint="try again, or check that this is the right key file",
                reason=Reason.WRONG_PASSPHRASE,
            ) from None
        raise IdentityError(
            f"cannot read private key {path}: {exc}", hint="check the key file"
        ) from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and the like
        raise IdentityError(
            f"cannot use private key {path}: {exc}", hint="use an ssh-ed25519 or ssh-rsa key"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise IdentityError(
            f"{path} is a {type(key).__name__.replace('PrivateKey', '')} key; age uses "
            "only ssh-ed25519 and ssh-rsa",
            hint="use an ssh-ed25519 or ssh-rsa key",
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def open_passphrase_file(data: bytes, passphrase: str) -> bytes | None:
    """The plaintext of a passphrase-encrypted (``age -p``) file; None: wrong passphrase."""
    if looks_armored(data[:1058]):
        data = dearmor(data)
    length, _ = split_header(data)
    if length is None:
        raise IdentityError("the encrypted identity file is truncated", hint="restore it")
    header = parse_header(data[:length])
    file_key = ScryptIdentity(passphrase).unwrap(header.stanzas)
    if file_key is None:
        return None
    verify_mac(header, file_key)
    nonce = data[length : length + NONCE_SIZE]
    out = io.BytesIO()  # copies each chunk: the payload decrypter reuses its buffer
    payload = io.BytesIO(data[length + NONCE_SIZE :])
    decrypt_payload(payload_key(file_key, nonce), payload, out.write)
    return out.getvalue()
