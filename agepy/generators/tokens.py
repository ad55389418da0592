"""Random tokens and systemd environment lines: the ``token`` and ``env`` kinds.

Every character comes from :mod:`secrets` (the OS CSPRNG). A token's ``length`` counts
characters in every format, so its strength is ``length × bits per character``; shorter
than 128 bits is refused.
"""

from __future__ import annotations

import math
import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

from agepy.errors import UsageError
from agepy.generators.base import Generated, int_option, str_option

__all__ = [
    "FORMATS",
    "MIN_BITS",
    "env_line",
    "make_env",
    "make_token",
    "token",
    "token_bits",
    "validate_env",
    "validate_token",
]

# Alphabets; base64 is the standard one (openssl rand -base64), without padding.
FORMATS: dict[str, str] = {
    "hex": "0123456789abcdef",
    "base64": string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/",
    "alnum": string.ascii_letters + string.digits,
}
MIN_BITS = 128
MAX_LENGTH = 4096
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def token_bits(token_format: str, length: int) -> float:
    """The entropy of a token of ``length`` characters in ``token_format``, in bits."""
    return length * math.log2(len(FORMATS[token_format]))


def validate_token(options: Mapping[str, Any]) -> None:
    token_format = str_option(options, "format")
    length = int_option(options, "length")
    if token_format not in FORMATS:
        raise UsageError(
            f"unknown token format {token_format!r}",
            hint=f"choose one of {', '.join(FORMATS)}",
        )
    shortest = math.ceil(MIN_BITS / math.log2(len(FORMATS[token_format])))
    if not shortest <= length <= MAX_LENGTH:
        raise UsageError(
            f"a {token_format} token of {length} characters is out of range",
            hint=f"use a length from {shortest} ({MIN_BITS} bits) to {MAX_LENGTH}",
        )


def token(token_format: str = "hex", length: int = 32) -> str:  # noqa: S107
    """``length`` random characters of ``token_format`` (hex, base64 or alnum)."""
    validate_token({"format": token_format, "length": length})
    alphabet = FORMATS[token_format]
    return "".join(secrets.choice(alphabet) for _ in range(length))


def make_token(options: Mapping[str, Any]) -> Generated:
    value = token(str_option(options, "format"), int_option(options, "length"))
    return Generated(value=f"{value}\n".encode())


def validate_env(options: Mapping[str, Any]) -> None:
    name = str_option(options, "var")
    if not _ENV_NAME.fullmatch(name):
        raise UsageError(
            f"{name!r} is not an environment variable name",
            hint="letters, digits and _, not starting with a digit, e.g. API_TOKEN",
        )
    validate_token(options)


def env_line(name: str, value: str) -> bytes:
    """``NAME=value`` and a newline, as systemd's EnvironmentFile= reads it."""
    return f"{name}={value}\n".encode()


def make_env(options: Mapping[str, Any]) -> Generated:
    value = token(str_option(options, "format"), int_option(options, "length"))
    return Generated(value=env_line(str_option(options, "var"), value))
