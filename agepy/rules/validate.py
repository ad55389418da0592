"""Evaluated secrets.nix → entries, as leniently as agenix reads it.

agenix hands each entry's ``publicKeys`` to ``age`` (skipping empty strings) and ignores
every other attribute but ``armor``. So: a key listed twice is used once, an empty string
is skipped, an unknown attribute is ignored — each a warning, never an error. A key
that does not parse (a placeholder such as ``"age1...REPLACE_ME"``) makes only its entry
unusable: listing and checking still work, encrypting that entry fails with its location.
What agenix itself could not use (an entry that is not a set, ``publicKeys`` that is not
a list of strings, ``armor`` not a boolean, no key at all) stays an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agepy.age.recipients import Recipient, parse_recipient
from agepy.errors import RecipientError, RulesError

__all__ = ["KNOWN_ATTRIBUTES", "RuleWarning", "Secret", "WarningKind", "validate_entries"]

KNOWN_ATTRIBUTES = ("publicKeys", "armor")

WarningKind = Literal["duplicate-key", "empty-key", "unknown-attribute", "invalid-key"]

# name → (line, column) of its binding, when the file shows it.
Locate = Callable[[str], tuple[int, int] | None]


@dataclass(frozen=True)
class RuleWarning:
    """Something in an entry agenix tolerates; ``invalid-key`` makes the entry unusable."""

    kind: WarningKind
    entry: str
    message: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "line": self.line}


@dataclass(frozen=True)
class Secret:
    """One entry of secrets.nix: an .age file and the keys it is encrypted to.

    ``public_keys``: the evaluated strings, empty ones and repeats of a key dropped;
    ``recipients``: those that parse (one per key). ``warnings`` say what was dropped or
    ignored; an ``invalid-key`` warning means the entry cannot be encrypted.
    """

    name: str
    file: Path
    public_keys: list[str]
    recipients: list[Recipient]
    armor: bool = False
    warnings: tuple[RuleWarning, ...] = field(default=(), compare=False)
    rules_path: Path | None = field(default=None, compare=False, repr=False)
    # The strings exactly as evaluated, repeats and empty ones included.
    listed: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def listed_keys(self) -> list[str]:
        """publicKeys exactly as secrets.nix evaluates: what an edit of the file is
        checked against (an edit must not add a repeat that deduplication would hide)."""
        return list(self.listed) if self.listed is not None else self.public_keys

    @property
    def invalid_keys(self) -> list[RuleWarning]:
        return [w for w in self.warnings if w.kind == "invalid-key"]

    def ensure_encryptable(self) -> None:
        """RulesError (at the entry's line) if a key of this entry is not a valid key."""
        invalid = self.invalid_keys
        if invalid:
            first = invalid[0]
            raise RulesError(
                f"entry {self.name!r}: {first.message}",
                file=self.rules_path,
                line=first.line,
                hint="fix or remove that key in secrets.nix; the other entries are unaffected",
            )


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an attribute set"
    return "null" if value is None else type(value).__name__


def _short(key: str) -> str:
    return key if len(key) <= 40 else key[:40] + "…"


def _key_identity(text: str) -> tuple[str, Recipient | None, str | None]:
    """(what makes two keys the same, the parsed key, why it does not parse)."""
    try:
        recipient = parse_recipient(text)
    except RecipientError as exc:
        return text, None, exc.message
    return recipient.text, recipient, None


def _warner(
    warnings: list[RuleWarning], name: str, line_of: Callable[[str], int | None]
) -> Callable[[WarningKind, str], None]:
    def warn(kind: WarningKind, message: str) -> None:
        warnings.append(RuleWarning(kind, name, message, line_of(name)))

    return warn


def validate_entries(
    data: Any, path: Path, locate: Locate, files_dir: Path | None = None
) -> dict[str, Secret]:
    """The entries of evaluated rules ``data``; RulesError for what agenix could not use.

    Each entry's file is its name relative to ``files_dir`` (default: the rules folder).
    """

    def line_of(name: str) -> int | None:
        location = locate(name)
        return location[0] if location else None

    def fail(name: str | None, message: str, hint: str) -> RulesError:
        location = locate(name) if name is not None else None
        line, column = location if location else (None, None)
        prefix = f"entry {name!r}: " if name is not None else ""
        return RulesError(prefix + message, file=path, line=line, column=column, hint=hint)

    if not isinstance(data, dict):
        raise fail(
            None,
            f"the rules must be an attribute set of entries, not {type_name(data)}",
            'write { "name.age".publicKeys = [ key … ]; … }',
        )
    secrets: dict[str, Secret] = {}
    for name in sorted(data):
        entry = data[name]
        if not isinstance(entry, dict):
            raise fail(
                name,
                f"must be an attribute set, not {type_name(entry)}",
                f'write "{name}".publicKeys = [ key … ];',
            )
        warnings: list[RuleWarning] = []
        warn = _warner(warnings, name, line_of)
        for attribute in sorted(set(entry) - set(KNOWN_ATTRIBUTES)):
            warn("unknown-attribute", f"attribute {attribute!r} is ignored (as agenix does)")
        if "publicKeys" not in entry:
            raise fail(name, "has no publicKeys", f'add "{name}".publicKeys = [ key … ];')
        keys = entry["publicKeys"]
        if not isinstance(keys, list):
            raise fail(
                name,
                f"publicKeys must be a list, not {type_name(keys)}",
                "write publicKeys = [ key … ];",
            )
        public_keys: list[str] = []
        recipients: list[Recipient] = []
        seen: set[str] = set()
        for index, key in enumerate(keys):
            if not isinstance(key, str):
                raise fail(
                    name,
                    f"publicKeys[{index}] must be a string, not {type_name(key)}",
                    'write each key in quotes: "ssh-ed25519 AAAA…"',
                )
            if key == "":
                warn("empty-key", f"publicKeys[{index}] is empty and skipped (as agenix does)")
                continue
            identity, recipient, problem = _key_identity(key)
            if identity in seen:
                warn("duplicate-key", f"publicKeys[{index}] repeats {_short(key)}; used once")
                continue
            seen.add(identity)
            public_keys.append(key)
            if recipient is not None:
                recipients.append(recipient)
            else:
                warn("invalid-key", f"publicKeys[{index}] is not a usable key: {problem}")
        if not public_keys:
            raise fail(
                name,
                "publicKeys is empty: nobody could decrypt this secret",
                "add at least one key (a user's and the host's that needs it)",
            )
        armor = entry.get("armor", False)
        if not isinstance(armor, bool):
            raise fail(
                name, f"armor must be true or false, not {type_name(armor)}", "write armor = true;"
            )
        secrets[name] = Secret(
            name=name,
            file=(path.parent if files_dir is None else files_dir) / name,
            public_keys=public_keys,
            recipients=recipients,
            armor=armor,
            warnings=tuple(warnings),
            rules_path=path,
            listed=tuple(keys),
        )
    return secrets
