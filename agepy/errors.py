"""Every error agepy raises on purpose.

Each error carries its own diagnostic: a one-line ``message`` saying what went wrong, a
``hint`` saying what to do about it in library terms, and, where the fix is a command-line
flag or command, a ``reason`` (with ``details``) from which the CLI words its own hint
(``agepy/cli/hints.py``), as age's command line adds hints to the library's plain errors.
The CLI prints them as ``agepy: error: <message>`` and ``agepy: hint: <hint>``. Anything
else that escapes is a bug.
"""

# ruff: noqa: S105 -- Reason's values name diagnoses ("wrong-passphrase"), not secrets

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
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
    "Reason",
    "RecipientError",
    "RulesError",
    "StoreError",
    "UsageError",
]


class Reason(StrEnum):
    """Why an error happened, for a caller that words its own hint (the CLI names the
    flag or command that fixes it). The values are stable: scripts may match them."""

    # age: keys, identities, decryption
    NO_IDENTITY = "no-identity"
    IDENTITY_UNREADABLE = "identity-unreadable"
    PUBLIC_KEY_AS_IDENTITY = "public-key-as-identity"
    IDENTITY_KEY_TYPE = "identity-key-type"
    WRONG_PASSPHRASE = "wrong-passphrase"
    NO_IDENTITY_MATCH = "no-identity-match"
    NO_RECIPIENTS = "no-recipients"
    # nix: finding and evaluating secrets.nix
    NO_RULES_FILE = "no-rules-file"
    RULES_FILE_MISSING = "rules-file-missing"
    NEEDS_NIX = "needs-nix"
    NIX_NOT_INSTALLED = "nix-not-installed"
    NIX_TIMEOUT = "nix-timeout"
    BUILTIN_EVALUATOR_RECURSION = "builtin-evaluator-recursion"
    BUILTIN_EVALUATOR_BUG = "builtin-evaluator-bug"
    # rules: entries and their keys
    UNKNOWN_KEY_NAME = "unknown-key-name"
    KEY_IN_NO_ENTRY = "key-in-no-entry"
    KEY_NOT_LISTED = "key-not-listed"
    # hosts: keyscan (the first six are KeyscanError's reasons)
    HOST_REFUSED = "refused"
    HOST_TIMEOUT = "timeout"
    HOST_UNRESOLVED = "unresolved"
    HOST_NOT_SSH = "not-ssh"
    NO_USABLE_HOST_KEY = "no-usable-key"
    KEYSCAN_FAILED = "error"
    BAD_SCAN_SETTINGS = "bad-scan-settings"
    # hosts: the inventory, add-host and rescan
    UNKNOWN_HOST = "unknown-host"
    HOST_EXISTS = "host-exists"
    HOST_WITHOUT_KEY = "host-without-key"
    HOST_NOT_SCANNED = "host-not-scanned"
    HOST_REBOUND = "host-rebound"
    BAD_HOST_KEY_TYPE = "bad-host-key-type"
    NO_AGE_HOST_KEY = "no-age-host-key"
    NOT_IN_KNOWN_HOSTS = "not-in-known-hosts"
    CONFIRMATION_NEEDED = "confirmation-needed"
    HOST_KEY_MISMATCH = "host-key-mismatch"
    # store: entries, files, editing, rekeying
    SECRET_FILE_MISSING = "secret-file-missing"
    ENTRY_EXISTS = "entry-exists"
    NO_RECIPIENTS_FOR_ENTRY = "no-recipients-for-entry"
    NOTHING_ON_STDIN = "nothing-on-stdin"
    NO_EDITOR = "no-editor"
    CANNOT_DECRYPT_ALL = "cannot-decrypt-all"
    CHANGED_WHILE_REKEYED = "changed-while-rekeyed"
    REKEY_WORKER_DIED = "rekey-worker-died"
    REKEY_WORKERS_FAILED = "rekey-workers-failed"
    # generated secrets
    GENERATED_EXISTS = "generated-exists"
    NOT_GENERATED = "not-generated"
    GENERATED_WITHOUT_ENTRY = "generated-without-entry"
    NOTHING_TO_ROTATE = "nothing-to-rotate"
    NO_PUBLIC_HALF = "no-public-half"
    # Matrix: options of the generators and snippets, and their secrets
    BAD_SERVER_NAME = "bad-server-name"
    SERVER_NAME_NEEDED = "server-name-needed"
    BAD_PORT = "bad-port"
    BAD_ADDRESS = "bad-address"
    BAD_TOKEN = "bad-token"
    TOKEN_TOO_SHORT = "token-too-short"
    TOKEN_TOO_LONG = "token-too-long"
    BAD_BRIDGE_URL = "bad-bridge-url"
    BAD_BRIDGE_PORT = "bad-bridge-port"
    BAD_APPSERVICE_ID = "bad-appservice-id"
    BAD_SENDER = "bad-sender"
    BAD_PREFIX = "bad-prefix"
    PREFIX_OVERLAPS_SENDER = "prefix-overlaps-sender"
    BAD_OWNER = "bad-owner"
    BAD_HOMESERVER = "bad-homeserver"
    OUTSIDE_FLAKE_DIR = "outside-flake-dir"
    NO_TOKEN_LINE = "no-token-line"
    BAD_BRIDGE_CONFIG = "bad-bridge-config"
    MATRIX_NO_ENTRY = "matrix-no-entry"
    MATRIX_NO_RECIPIENTS = "matrix-no-recipients"
    MATRIX_SECRET_EXISTS = "matrix-secret-exists"
    MATRIX_NOTHING_TO_ROTATE = "matrix-nothing-to-rotate"


class AgepyError(Exception):
    """Base of agepy's errors: a one-line message, an optional hint, an exit code, and a
    ``reason`` with ``details`` (names, paths) for a caller that words its own hint."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        reason: Reason | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        # One line, always: the CLI prints it after "agepy: error: ".
        self.message = " ".join(message.split()) if "\n" in message else message
        self.hint = hint
        self.reason = reason
        self.details: dict[str, str] = dict(details or {})
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
        reason: Reason | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        self.file = Path(file) if file is not None else None
        self.line = line
        self.column = column
        where = self.where
        message = f"{where}: {message}" if where else message
        super().__init__(message, hint=hint, reason=reason, details=details)

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
        if not kwargs.get("hint"):
            kwargs["hint"] = "install Nix (Debian: apt install nix-bin) or evaluate with Nix"
            kwargs.setdefault("reason", Reason.NEEDS_NIX)
        super().__init__(f"unsupported construct: {construct}", **kwargs)  # type: ignore[arg-type]


class RulesError(NixError):
    """secrets.nix evaluates, but not to a valid set of agenix rules."""


class EditError(NixError):
    """No safe, format-preserving edit exists for the requested change."""


# --- hosts and store -----------------------------------------------------------------


class HostError(AgepyError):
    """A problem with the host inventory (agepy.toml) or a host name."""


class KeyscanError(HostError):
    """Scanning one host failed. ``reason``: refused, timeout, unresolved, not-ssh,
    no-usable-key or error (a :class:`Reason`)."""

    reason: Reason

    def __init__(
        self, host: str, reason: Reason | str, message: str, *, hint: str | None = None
    ) -> None:
        self.host = host
        super().__init__(f"{host}: {message}", hint=hint, reason=Reason(reason))


class StoreError(AgepyError):
    """A problem with the secret store: a missing entry, file, editor, tmpfs, …"""
