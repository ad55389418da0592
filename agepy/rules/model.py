"""The rules model: which secrets exist and which public keys each is encrypted to.

``secrets.nix`` is found as agenix finds it, plus a flake's places
(:mod:`agepy._locate`), evaluated, and read as agenix reads it
(:mod:`agepy.rules.validate`): duplicates, empty keys and unknown attributes are
warnings, a key that does not parse makes only its entry unusable.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter

from agepy._locate import locate_rules, rules_in_reach
from agepy.age.recipients import key_canonical, parse_recipient
from agepy.errors import NixError, Reason, RecipientError, RulesError
from agepy.nix.parse import ParsedFile, parse_file
from agepy.nix.source_edit import top_attrset
from agepy.rules.evaluation import bindings_of, evaluate_rules_file, rules_key_names
from agepy.rules.validate import RuleWarning, Secret, validate_entries

__all__ = [
    "RuleWarning",
    "Rules",
    "Secret",
    "entry_location",
    "entry_locations",
    "evaluate_rules_file",
    "load_rules",
    "locate_rules",
    "rules_in_reach",
    "rules_key_names",
    "validate_rules",
]

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


def entry_locations(parsed: ParsedFile) -> dict[str, tuple[int, int]]:
    """Entry name → (line, column) of the binding that defines it, 1-based (first wins)."""
    top = top_attrset(parsed)
    found: dict[str, tuple[int, int]] = {}
    if top is None:
        return found
    for binding in bindings_of(top):
        attrpath = binding.child_by_field_name("attrpath")
        if attrpath is None or not attrpath.named_children:
            continue
        name = _attr_name(parsed, attrpath.named_children[0])
        if name is not None and name not in found:
            row, col = binding.start_point
            found[name] = (row + 1, col + 1)
    return found


def entry_location(parsed: ParsedFile, name: str) -> tuple[int, int] | None:
    """(line, column) of the binding that defines entry ``name``, 1-based, if findable."""
    return entry_locations(parsed).get(name)


# --- model -----------------------------------------------------------------------------


@dataclass
class Rules:
    """A validated secrets.nix."""

    path: Path
    secrets: dict[str, Secret]
    extra_names: dict[str, str] = field(default_factory=dict)
    _key_names: dict[str, str] | None = field(default=None, repr=False)
    # Where the entries' files are, when not beside secrets.nix (agenix with $RULES).
    files_dir: Path | None = None

    @property
    def dir(self) -> Path:
        """The folder the entry names are relative to."""
        return self.path.parent if self.files_dir is None else self.files_dir

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
            self._key_names = {key_canonical(k): v for k, v in names.items()}
        return self._key_names

    @property
    def warnings(self) -> list[RuleWarning]:
        """What agenix tolerates but deserves a look, entries in name order."""
        return [w for name in sorted(self.secrets) for w in self.secrets[name].warnings]

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
            self.extra_names[key_canonical(key)] = name

    def name_of(self, recipient_text: str) -> str:
        """A person-friendly name: binding or inventory name, else the fingerprint."""
        canonical = key_canonical(recipient_text)
        for names in (self.key_names, self.extra_names):
            if canonical in names:
                return names[canonical]
        try:
            return parse_recipient(recipient_text).fingerprint
        except RecipientError:
            return canonical

    def secrets_for_key(self, recipient_text: str) -> list[Secret]:
        """The entries whose publicKeys contain this key (comments ignored)."""
        canonical = key_canonical(recipient_text)
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
                hint="check which keys each secret is for",
                reason=Reason.KEY_IN_NO_ENTRY,
            )
        return found

    def all_keys(self) -> list[str]:
        """Every distinct key (canonical text), in first-use order."""
        seen: dict[str, None] = {}
        for secret in self.secrets.values():
            for recipient in secret.recipients:
                seen.setdefault(recipient.text, None)
        return list(seen)


def _locator(parsed: ParsedFile | None) -> Callable[[str], tuple[int, int] | None]:
    """Where each entry is defined; the file is walked once, on the first question."""
    index: dict[str, tuple[int, int]] | None = None

    def locate(name: str) -> tuple[int, int] | None:
        nonlocal index
        if parsed is None:
            return None
        if index is None:
            index = entry_locations(parsed)
        return index.get(name)

    return locate


def validate_rules(
    data: Any, path: Path, parsed: ParsedFile | None = None, files_dir: Path | None = None
) -> dict[str, Secret]:
    """The entries of evaluated rules, read as agenix reads them (see
    :mod:`agepy.rules.validate`); RulesError for what agenix could not use either."""
    return validate_entries(data, path, _locator(parsed), files_dir)


def load_rules(
    path: Path | str | None = None,
    *,
    evaluator: str = "auto",
    extra_names: Mapping[str, str] | None = None,
    files_dir: Path | None = None,
) -> Rules:
    """Locate, evaluate and validate secrets.nix. ``extra_names``: key → name (inventory).

    ``files_dir``: the folder the entry names are relative to (default: the rules folder;
    agenix's script takes them relative to the current folder).
    """
    rules_path = locate_rules(path)
    parsed = parse_file(rules_path)
    data = evaluate_rules_file(rules_path, evaluator=evaluator)
    secrets = validate_rules(data, rules_path, parsed, files_dir)
    rules = Rules(path=rules_path, secrets=secrets, files_dir=files_dir)
    if extra_names:
        rules.add_names(extra_names)
    return rules
