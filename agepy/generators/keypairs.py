"""Key pairs whose private half is the secret: ``ssh-ed25519`` and ``wireguard``.

Both are made with cryptography; the public half is returned to be printed and recorded.
The WireGuard key is written as ``wg genkey`` writes it: base64 of a clamped X25519
scalar and a newline (wireguard-tools is not needed).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from agepy.errors import UsageError
from agepy.generators.base import Generated, str_option

__all__ = [
    "make_ssh_ed25519",
    "make_wireguard",
    "validate_ssh_ed25519",
    "wireguard_keypair",
    "wireguard_public_key",
]

_COMMENT = re.compile(r"[^\s\x00-\x1f\x7f]{0,100}")


def validate_ssh_ed25519(options: Mapping[str, Any]) -> None:
    comment = str_option(options, "comment")
    if not _COMMENT.fullmatch(comment):
        raise UsageError(
            f"SSH key comment {comment!r} is not usable",
            hint="up to 100 characters without spaces, e.g. deploy@example.com",
        )


def make_ssh_ed25519(options: Mapping[str, Any]) -> Generated:
    """An Ed25519 key in OpenSSH's private key format; the public line as its public half."""
    validate_ssh_ed25519(options)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    comment = str_option(options, "comment")
    return Generated(value=private, public=f"{public} {comment}" if comment else public)


def _clamp(scalar: bytearray) -> bytes:
    # Curve25519 clamping, as wg genkey applies it (curve25519_clamp_secret).
    scalar[0] &= 248
    scalar[31] = (scalar[31] & 127) | 64
    return bytes(scalar)


def wireguard_public_key(private_b64: str) -> str:
    """``wg pubkey``: the base64 public key of a base64 private key."""
    try:
        raw = base64.b64decode(private_b64.strip(), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UsageError(
            "not a WireGuard private key (base64 of 32 bytes)", hint="check the secret's content"
        )
    public = X25519PrivateKey.from_private_bytes(raw).public_key()
    raw_public = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw_public).decode()


def wireguard_keypair() -> tuple[str, str]:
    """A new (private, public) pair, both base64 as wg writes them."""
    private = base64.b64encode(_clamp(bytearray(secrets.token_bytes(32)))).decode()
    return private, wireguard_public_key(private)


def make_wireguard(options: Mapping[str, Any]) -> Generated:
    private, public = wireguard_keypair()
    return Generated(value=f"{private}\n".encode(), public=public)
