"""Random tokens for Matrix: hex registration tokens and appservice tokens.

Both come from :mod:`secrets` (the OS CSPRNG), never :mod:`random`.
"""

from __future__ import annotations

import secrets
import string

from agepy.errors import Reason, UsageError

__all__ = ["ALNUM", "APPSERVICE_TOKEN_LENGTH", "alnum_token", "hex_token"]

# Heisenbridge's alphabet for as_token/hs_token: string.ascii_letters + string.digits.
ALNUM = string.ascii_letters + string.digits
APPSERVICE_TOKEN_LENGTH = 64
# 64 symbols of 62: ~381 bits. Tokens shorter than 128 bits are refused.
_MIN_HEX_BYTES = 16


def hex_token(nbytes: int = 16) -> str:
    """``nbytes`` random bytes as lowercase hex, like ``openssl rand -hex N``."""
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes < _MIN_HEX_BYTES:
        raise UsageError(
            f"a token needs at least {_MIN_HEX_BYTES} random bytes, not {nbytes!r}",
            hint=f"use {_MIN_HEX_BYTES} bytes or more",
            reason=Reason.TOKEN_TOO_SHORT,
            details={"minimum": str(_MIN_HEX_BYTES)},
        )
    if nbytes > 1024:
        raise UsageError(
            f"{nbytes} bytes is too long for a token",
            hint="use 16 to 1024 bytes",
            reason=Reason.TOKEN_TOO_LONG,
        )
    return secrets.token_hex(nbytes)


def alnum_token(length: int = APPSERVICE_TOKEN_LENGTH) -> str:
    """A token of ``length`` characters from ``[A-Za-z0-9]``, as Heisenbridge makes them."""
    if length < 22:  # 22 × log2(62) ≈ 131 bits
        raise UsageError(
            f"an appservice token of {length} characters is too weak",
            hint="use 22 characters or more",
        )
    return "".join(secrets.choice(ALNUM) for _ in range(length))
