"""SHA-512 crypt (``$6$``), as ``mkpasswd -m sha-512`` and glibc's crypt(3) make it,
and the ``password-hash`` kind: a random password and that hash of it.

Written from Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" specification,
on cryptography's SHA-512. The hash line is what NixOS's
``users.users.<name>.hashedPasswordFile`` holds; the clear password is only shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes

from agepy.errors import UsageError
from agepy.generators.base import Generated, int_option
from agepy.generators.tokens import FORMATS

__all__ = [
    "DEFAULT_ROUNDS",
    "SALT_ALPHABET",
    "make_password_hash",
    "new_salt",
    "sha512_crypt",
    "validate_password_hash",
]

# crypt(3)'s base-64 alphabet, for the salt and the hash.
SALT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEFAULT_ROUNDS = 5000  # the spec's default: written without "rounds=" (as mkpasswd does)
MIN_ROUNDS, MAX_ROUNDS = 1000, 999_999_999
SALT_LENGTH = 16  # mkpasswd's and the spec's maximum
MIN_PASSWORD, MAX_PASSWORD = 12, 128


def _sha512(*parts: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA512())
    for part in parts:
        digest.update(part)
    return digest.finalize()


def _repeat(block: bytes, length: int) -> bytes:
    """``block`` repeated and cut to ``length`` bytes (the spec's P and S sequences)."""
    return (block * (length // len(block) + 1))[:length]


def _encode(digest: bytes) -> str:
    """The 86 characters of the hash: bytes regrouped in the spec's order, 6 bits each."""
    out: list[str] = []

    def emit(b2: int, b1: int, b0: int, count: int) -> None:
        word = (b2 << 16) | (b1 << 8) | b0
        for _ in range(count):
            out.append(SALT_ALPHABET[word & 0x3F])
            word >>= 6

    for k in range(21):
        first, second, third = k, k + 21, k + 42
        # Each group starts one place further in the rotation (0,21,42), (22,43,1), …
        order = [(first, second, third), (second, third, first), (third, first, second)]
        a, b, c = order[k % 3]
        emit(digest[a], digest[b], digest[c], 4)
    emit(0, 0, digest[63], 2)
    return "".join(out)


def sha512_crypt(password: str | bytes, salt: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """``$6$[rounds=N$]salt$hash`` for ``password``: byte for byte what crypt(3) gives."""
    key = password.encode() if isinstance(password, str) else password
    if not salt or any(c not in SALT_ALPHABET for c in salt):
        raise UsageError(
            f"salt {salt!r} is not 1 to 16 characters of [./0-9A-Za-z]",
            hint="leave the salt out to get a random one",
        )
    salt_bytes = salt[:SALT_LENGTH].encode()
    if not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
        raise UsageError(
            f"{rounds} rounds is out of range",
            hint=f"use {MIN_ROUNDS} to {MAX_ROUNDS} (default {DEFAULT_ROUNDS})",
        )
    alternate = _sha512(key, salt_bytes, key)
    digest_a = hashes.Hash(hashes.SHA512())
    digest_a.update(key + salt_bytes + _repeat(alternate, len(key)))
    length = len(key)
    while length:
        digest_a.update(alternate if length & 1 else key)
        length >>= 1
    current = digest_a.finalize()
    p_bytes = _repeat(_sha512(key * len(key)), len(key))
    s_bytes = _repeat(_sha512(salt_bytes * (16 + current[0])), len(salt_bytes))
    for i in range(rounds):
        round_hash = hashes.Hash(hashes.SHA512())
        round_hash.update(p_bytes if i & 1 else current)
        if i % 3:
            round_hash.update(s_bytes)
        if i % 7:
            round_hash.update(p_bytes)
        round_hash.update(current if i & 1 else p_bytes)
        current = round_hash.finalize()
    prefix = "$6$" if rounds == DEFAULT_ROUNDS else f"$6$rounds={rounds}$"
    return f"{prefix}{salt_bytes.decode()}${_encode(current)}"


def new_salt() -> str:
    """16 random salt characters, as mkpasswd picks them."""
    return "".join(secrets.choice(SALT_ALPHABET) for _ in range(SALT_LENGTH))


def validate_password_hash(options: Mapping[str, Any]) -> None:
    length = int_option(options, "length")
    rounds = int_option(options, "rounds")
    if not MIN_PASSWORD <= length <= MAX_PASSWORD:
        raise UsageError(
            f"a password of {length} characters is out of range",
            hint=f"use a length from {MIN_PASSWORD} to {MAX_PASSWORD} (default 20)",
        )
    if not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
        raise UsageError(
            f"{rounds} rounds is out of range",
            hint=f"use {MIN_ROUNDS} to {MAX_ROUNDS} (default {DEFAULT_ROUNDS})",
        )


def make_password_hash(options: Mapping[str, Any]) -> Generated:
    """A random alphanumeric password (shown once) and its hash line (the secret)."""
    validate_password_hash(options)
    # Alphanumeric, so that it can be typed on any keyboard layout at a console.
    password = "".join(
        secrets.choice(FORMATS["alnum"]) for _ in range(int_option(options, "length"))
    )
    line = sha512_crypt(password, new_salt(), int_option(options, "rounds"))
    return Generated(value=f"{line}\n".encode(), shown=password)
