"""The rules model: which secrets exist and which public keys each is encrypted to.

``secrets.nix`` is found as agenix finds it (``--rules``, else ``$RULES``, else
``./secrets.nix``), evaluated, and validated like ragenix's JSON schema: an attribute set
of entries, each ``{ publicKeys = [ "<key>" … ]; armor = <bool>; }`` with a non-empty
list of unique recipient strings.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter

from agepy.age.recipients import Recipient, parse_recipient
from agepy.errors import NixError, RecipientError, RulesError
from agepy.nix.edit import top_attrset
from agepy.nix.parse import ParsedFile, parse_file
from agepy.rules.evaluation import bindings_of, evaluate_rules_file, rules_key_names

__all__ = [
    "Rules",
    "Secret",
    "entry_location",
    "evaluate_rules_file",
    "load_rules",
    "locate_rules",
    "rules_in_reach",
    "rules_key_names",
    "validate_rules",
]

ALLOWED_ATTRIBUTES = ("publicKeys", "armor")


# What agenix looks for in the current folder, in this order (agenix-rules.nix is its
# newer name); in parent folders it looks for agenix-rules.nix only.
RULES_FILE_NAMES = ("agenix-rules.nix", "secrets.nix")
_ENV_VARIABLES = ("AGENIX_RULES", "RULES")


def _from_environment() -> tuple[str, str] | None:
    for variable in _ENV_VARIABLES:
        if os.environ.get(variable):
            return variable, os.environ[variable]
    return None


def _discover(folder: Path) -> Path | None:
    for name in RULES_FILE_NAMES:
        if (folder / name).is_file():
            return folder / name
    for parent in folder.parents:
        if (parent / RULES_FILE_NAMES[0]).is_file():
            return parent / RULES_FILE_NAMES[0]
    return None


def rules_in_reach(path: Path | str | None = None) -> bool:
    """Whether a rules file was named (``path``, $AGENIX_RULES, $RULES) or is found here."""
    return path is not None or _from_environment() is not None or _discover(Path.cwd()) is not None


def locate_rules(path: Path | str | None = None) -> Path:
    """The rules file, looked for as agenix does: ``path`` (--rules), else $AGENIX_RULES,
    else $RULES, else ./agenix-rules.nix, ./secrets.nix, agenix-rules.nix in a parent."""
    named = _from_environment()
    if path is not None:
        candidate, origin = Path(path), "--rules"
    elif named is not None:
        candidate, origin = Path(named[1]), f"${named[0]}"
    else:
        found = _discover(Path.cwd())
        if found is None:
            raise RulesError(
                "no rules file: no agenix-rules.nix or secrets.nix in the current folder, "
                "and no agenix-rules.nix above it",
                hint="run from the folder holding secrets.nix, or pass --rules PATH "
                "(or set AGENIX_RULES=PATH)",
            )
        return found.absolute()
    if candidate.is_dir():
        folder = candidate
        candidate = next(
            (folder / n for n in RULES_FILE_NAMES if (folder / n).is_file()), folder / "secrets.nix"
        )
    if not candidate.is_file():
        raise RulesError(
            f"no rules file {candidate} (from {origin})",
            hint="run from the folder holding secrets.nix, or pass --rules PATH "
            "(or set AGENIX_RULES=PATH)",
        )
    return candidate.absolute()


# --- locations -------------------------------------------------------------------------


def _attr_name(parsed: ParsedFile, attr: tree_sitter.Node) -> str | None:
    """A static attribute name (identifier or plain string), else None."""
    if attr.type == "identifier":
        return parsed.text(attr)
    if attr.type == "string_expression":
        if any(c.type not in ('"', "string_fragment", "escape_sequence") for c in attr.children):
            return None
        try:
            return str(json.loads(parsed.text(attr).replace("\\$", "$")))
        except ValueError:
            return None
    return None


def entry_location(parsed: ParsedFile, name: str) -> tuple[int, int] | None:
    """(line, column) of the binding that defines entry ``name``, 1-based, if findable."""
    top = top_attrset(parsed)
    if top is None:
        return None
    for binding in bindings_of(top):
        attrpath = binding.child_by_field_name("attrpath")
        if attrpath is None or not attrpath.named_children:
            continue
        if _attr_name(parsed, attrpath.named_children[0]) == name:
            row, col = binding.start_point
            return row + 1, col + 1
    return None


# --- model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """One entry of secrets.nix: an .age file and the keys it is encrypted to."""

    name: str
    file: Path
    public_keys: list[str]
    recipients: list[Recipient]
    armor: bool = False


@dataclass
class Rules:
    """A validated secrets.nix."""

    path: Path
    secrets: dict[str, Secret]
    extra_names: dict[str, str] = field(default_factory=dict)
    _key_names: dict[str, str] | None = field(default=None, repr=False)

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def key_names(self) -> dict[str, str]:
        """Key text (no comment) → the name secrets.nix binds it to.

        Found on first use: it takes a second evaluation of the file, which only
        messages and edits need (a rekey or check that succeeds never asks).
        """
        if self._key_names is None:
            try:
                names = rules_key_names(self.path)
            except NixError:
                names = {}
            self._key_names = {_canonical(k): v for k, v in names.items()}
        return self._key_names

    def __iter__(self) -> Iterator[Secret]:
        return iter(self.secrets.values())

    def __len__(self) -> int:
        return len(self.secrets)

    def find(self, name: str | Path) -> Secret | None:
        """Like :meth:`get`, but None when nothing matches."""
        text = str(name)
        if text in self.secrets:
            return self.secrets[text]
        by_file = {os.path.normpath(s.file): s for s in self.secrets.values()}
        candidates = [Path(text)] if Path(text).is_absolute() else [Path.cwd() / text]
        candidates.append(self.dir / text)
        for candidate in candidates:
            for variant in (os.path.normpath(candidate), os.path.realpath(candidate)):
                if variant in by_file:
                    return by_file[variant]
                real_dir = os.path.realpath(self.dir)
                if variant.startswith(real_dir + os.sep):
                    relative = variant[len(real_dir) + 1 :]
                    if relative in self.secrets:
                        return self.secrets[relative]
        return None

    def get(self, name: str | Path) -> Secret:
        """The entry named ``name``: exact, or a path relative to cwd or the rules folder."""
        secret = self.find(name)
        if secret is not None:
            return secret
        close = difflib.get_close_matches(Path(str(name)).name, list(self.secrets), n=3)
        if close:
            hint = "did you mean " + ", ".join(close) + "?"
        elif self.secrets:
            hint = "entries: " + ", ".join(list(self.secrets)[:8])
        else:
            hint = f'add it to {self.path.name}: "{Path(str(name)).name}".publicKeys = [ … ];'
        raise RulesError(f"no entry {str(name)!r} in the rules", file=self.path, hint=hint)

    def add_names(self, extra_names: Mapping[str, str]) -> None:
        """Add names for keys (e.g. from the hosts inventory); bindings in secrets.nix win."""
        for key, name in extra_names.items():
            self.extra_names[_canonical(key)] = name

    def name_of(self, recipient_text: str) -> str:
        """A person-friendly name: binding or inventory name, else the fingerprint."""
        canonical = _canonical(recipient_text)
        for names in (self.key_names, self.extra_names):
            if canonical in names:
                return names[canonical]
        try:
            return parse_recipient(recipient_text).fingerprint
        except RecipientError:
            return canonical

    def secrets_for_key(self, recipient_text: str) -> list[Secret]:
        """The entries whose publicKeys contain this key (comments ignored)."""
        canonical = _canonical(recipient_text)
        return [s for s in self.secrets.values() if any(r.text == canonical for r in s.recipients)]

    def secrets_listing(self, key_or_name: str) -> list[Secret]:
        """The entries whose publicKeys list this key, given as its text or as the name
        secrets.nix (or the hosts inventory) gives it. RulesError when none does."""
        text = key_or_name.strip()
        by_name = {n: k for names in (self.key_names, self.extra_names) for k, n in names.items()}
        if text in by_name:
            text = by_name[text]
        else:
            try:
                parse_recipient(text)
            except RecipientError:
                known = ", ".join(sorted(set(by_name))) or "none"
                raise RulesError(
                    f"{key_or_name!r} is neither a public key nor a name of one",
                    file=self.path,
                    hint=f"give a key's text or one of its names ({known})",
                ) from None
        found = self.secrets_for_key(text)
        if not found:
            raise RulesError(
                f"no entry lists the key {key_or_name}",
                file=self.path,
                hint="agepy list shows who each secret is for",
            )
        return found

    def all_keys(self) -> list[str]:
        """Every distinct key (canonical text), in first-use order."""
        seen: dict[str, None] = {}
        for secret in self.secrets.values():
            for recipient in secret.recipients:
                seen.setdefault(recipient.text, None)
        return list(seen)


def _canonical(text: str) -> str:
    try:
        return parse_recipient(text).text
    except RecipientError:
        return " ".join(text.split()[:2])


def _type_name(value: Any) -> str:
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


def validate_rules(data: Any, path: Path, parsed: ParsedFile | None = None) -> dict[str, Secret]:
    """Check evaluated rules against the ragenix schema; return the entries."""

    def fail(name: str | None, message: str, hint: str) -> RulesError:
        location = entry_location(parsed, name) if parsed is not None and name else None
        line, column = location if location else (None, None)
        prefix = f"entry {name!r}: " if name is not None else ""
        return RulesError(prefix + message, file=path, line=line, column=column, hint=hint)

    if not isinstance(data, dict):
        raise fail(
            None,
            f"the rules must be an attribute set of entries, not {_type_name(data)}",
            'write { "name.age".publicKeys = [ key … ]; … }',
        )
    secrets: dict[str, Secret] = {}
    for name in sorted(data):
        entry = data[name]
        if not isinstance(entry, dict):
            raise fail(
                name,
                f"must be an attribute set, not {_type_name(entry)}",
                f'write "{name}".publicKeys = [ key … ];',
            )
        unknown = sorted(set(entry) - set(ALLOWED_ATTRIBUTES))
        if unknown:
            raise fail(
                name,
                f"unknown attribute {unknown[0]!r}",
                "an entry may only have publicKeys (a list of keys) and armor (a boolean)",
            )
        if "publicKeys" not in entry:
            raise fail(name, "has no publicKeys", f'add "{name}".publicKeys = [ key … ];')
        keys = entry["publicKeys"]
        if not isinstance(keys, list):
            raise fail(
                name,
                f"publicKeys must be a list, not {_type_name(keys)}",
                "write publicKeys = [ key … ];",
            )
        if not keys:
            raise fail(
                name,
                "publicKeys is empty: nobody could decrypt this secret",
                "add at least one key (a user's and the host's that needs it)",
            )
        recipients = []
        for index, key in enumerate(keys):
            if not isinstance(key, str):
                raise fail(
                    name,
                    f"publicKeys[{index}] must be a string, not {_type_name(key)}",
                    'write each key in quotes: "ssh-ed25519 AAAA…"',
                )
            if key in keys[:index]:
                raise fail(
                    name,
                    f"publicKeys[{index}] repeats a key ({key[:40]}…)",
                    "list each key once",
                )
            try:
                recipients.append(parse_recipient(key))
            except RecipientError as exc:
                raise fail(name, f"publicKeys[{index}]: {exc.message}", exc.hint or "") from None
        armor = entry.get("armor", False)
        if not isinstance(armor, bool):
            raise fail(
                name, f"armor must be true or false, not {_type_name(armor)}", "write armor = true;"
            )
        secrets[name] = Secret(
            name=name,
            file=path.parent / name,
            public_keys=list(keys),
            recipients=recipients,
            armor=armor,
        )
    return secrets


def load_rules(
    path: Path | str | None = None,
    *,
    evaluator: str = "auto",
    extra_names: Mapping[str, str] | None = None,
) -> Rules:
    """Locate, evaluate and validate secrets.nix. ``extra_names``: key → name (inventory)."""
    rules_path = locate_rules(path)
    parsed = parse_file(rules_path)
    data = evaluate_rules_file(rules_path, evaluator=evaluator)
    secrets = validate_rules(data, rules_path, parsed)
    rules = Rules(path=rules_path, secrets=secrets)
    if extra_names:
        rules.add_names(extra_names)
    return rules
