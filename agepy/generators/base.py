"""What every generator shares: its output and typed access to its options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agepy.errors import UsageError

__all__ = ["Generated", "bool_option", "int_option", "str_option"]


@dataclass(frozen=True)
class Generated:
    """A new secret: ``value`` is the plaintext to encrypt; ``public`` its public half
    (recorded in agepy.toml); ``shown`` what the user sees once and nobody stores (a
    clear password whose hash is the secret)."""

    value: bytes
    public: str | None = None
    shown: str | None = None

    def __repr__(self) -> str:  # never print a secret in a traceback or a log
        return f"Generated(value=<{len(self.value)} bytes>, public={self.public!r})"


def _wrong(name: str, kind: str, value: Any) -> UsageError:
    return UsageError(
        f"option {name!r} must be {kind}, not {value!r}",
        hint="check the option's value (or the generator's record in agepy.toml)",
    )


def str_option(options: Mapping[str, Any], name: str) -> str:
    value = options[name]
    if not isinstance(value, str):
        raise _wrong(name, "text", value)
    return value


def int_option(options: Mapping[str, Any], name: str) -> int:
    value = options[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong(name, "a whole number", value)
    return value


def bool_option(options: Mapping[str, Any], name: str) -> bool:
    value = options[name]
    if not isinstance(value, bool):
        raise _wrong(name, "true or false", value)
    return value
