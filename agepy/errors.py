"""Every error agepy raises on purpose.

Each error carries its own user-facing diagnostic: a one-line ``message`` saying what
went wrong and a ``hint`` saying what to do about it (the CLI prints them as
``agepy: error: <message>`` and ``agepy: hint: <hint>``). Anything else that escapes
is a bug.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AgeFormatError",
    "AgepyError",
    "ArmorError",
    "DecryptError",
    "EditError",
    "HeaderError",
    "HmacError",
    "HostError",
    "IdentityError",
    "KeyscanError",
    "NixError",
    "NixEvalError",
    "NixSyntaxError",
    "NixUnsupportedError",
    "NoIdentityMatchError",
    "PayloadError",
    "RecipientError",
    "RulesError",
    "StoreError",
    "UsageError",
]


class AgepyError(Exception):
    """Base of agepy's errors: a one-line message, an optional hint, an exit code."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # One line, always: the CLI prints it after "agepy: error: ".
        self.message = " ".join(message.split()) if "\n" in message else message
        self.hint = hint
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class UsageError(AgepyError):
    """The command line itself is wrong (exit 2, as click does)."""

    exit_code = 2


# --- keys -----------------------------------------------------------------------------


class RecipientError(AgepyError):
    """A public key (recipient) that agepy cannot use: malformed or unsupported."""


class IdentityError(AgepyError):
    """A private key (identity) file that cannot be read, parsed or unlocked."""


# --- age format ----------------------------------------------------------------------


class AgeFormatError(AgepyError):
    """An age file that is not well formed. ``kind`` matches the CCTV vector outcomes."""

    kind = "header failure"


class HeaderError(AgeFormatError):
    kind = "header failure"


class ArmorError(AgeFormatError):
    kind = "armor failure"


class HmacError(AgeFormatError):
    kind = "HMAC failure"


class PayloadError(AgeFormatError):
    kind = "payload failure"


class DecryptError(AgepyError):
    """Decryption failed for a reason other than a malformed file."""


class NoIdentityMatchError(DecryptError):
    """None of the identities given opens any stanza of the file."""

    kind = "no match"


# --- secrets.nix ---------------------------------------------------------------------


class NixError(AgepyError):
    """A problem with a Nix file; ``where`` is ``file:line:column`` when known."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = Path(file) if file is not None else None
        self.line = line
        self.column = column
        where = self.where
        super().__init__(f"{where}: {message}" if where else message, hint=hint)

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        if self.line is None:
            return str(self.file)
        return f"{self.file}:{self.line}:{self.column or 1}"


class NixSyntaxError(NixError):
    """The file does not parse as Nix."""


class NixEvalError(NixError):
    """The file parses but evaluating it fails (type error, missing attribute, …)."""


class NixUnsupportedError(NixEvalError):
    """A construct the built-in evaluator does not cover (auto mode falls back to Nix)."""

    def __init__(self, construct: str, **kwargs: object) -> None:
        self.construct = construct
        hint = kwargs.pop("hint", None) or (
            "install Nix (Debian: apt install nix-bin) or use --evaluator nix"
        )
        super().__init__(f"unsupported construct: {construct}", hint=hint, **kwargs)  # type: ignore[arg-type]


class RulesError(NixError):
    """secrets.nix evaluates, but not to a valid set of agenix rules."""


class EditError(NixError):
    """No safe, format-preserving edit exists for the requested change."""


# --- hosts and store -----------------------------------------------------------------


class HostError(AgepyError):
    """A problem with the host inventory (agepy.toml) or a host name."""


class KeyscanError(HostError):
    """Scanning one host failed. ``reason`` is a short machine-readable word."""

    def __init__(self, host: str, reason: str, message: str, *, hint: str | None = None) -> None:
        self.host = host
        self.reason = reason  # refused | timeout | unresolved | not-ssh | no-usable-key | error
        super().__init__(f"{host}: {message}", hint=hint)


class StoreError(AgepyError):
    """A problem with the secret store: a missing entry, file, editor, tmpfs, …"""
