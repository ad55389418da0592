"""secrets.nix as it was in a past commit: its folder written out (without the .age
files) to a private temp folder and evaluated as today, built-in evaluator first.

A folder's content is identified by a digest of its non-.age files, so the many commits
that only change .age files share one evaluation.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agepy.age.recipients import Recipient, parse_recipient
from agepy.errors import AgepyError, RecipientError
from agepy.rules.evaluation import evaluate_rules_file, rules_key_names
from agepy.store.gitread import ObjectReader, tree_entries

__all__ = ["PastRules", "RulesState", "parse_key"]

# A secrets.nix folder holds small text files; anything bigger is no rules input.
_MAX_FILE = 1 << 20


@dataclass
class RulesState:
    """What one version of secrets.nix said: entry → keys, key → binding name."""

    entries: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    error: str = ""

    def to_cache(self) -> dict[str, Any]:
        return {"entries": self.entries, "names": self.names, "error": self.error}

    @functools.cached_property
    def keys_by_tag(self) -> dict[str, Recipient]:
        """SSH tag → key, for every SSH key of every entry (parsed once per state)."""
        found = {}
        for text in dict.fromkeys(t for texts in self.entries.values() for t in texts):
            recipient = parse_key(text)
            if recipient is not None and recipient.tag:
                found[recipient.tag] = recipient
        return found

    def unnamed_keys(self, entry: str) -> list[Recipient]:
        """The keys of ``entry`` whose stanzas name nobody (X25519, plugin, …)."""
        parsed = (parse_key(text) for text in self.entries.get(entry, []))
        return [key for key in parsed if key is not None and not key.is_ssh]

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> RulesState:
        return cls(dict(data["entries"]), dict(data["names"]), str(data["error"]))


def parse_key(text: str) -> Recipient | None:
    """The key ``text`` (comments ignored); None when age cannot use it."""
    try:
        return parse_recipient(text)
    except RecipientError:
        return None


def _state_from(data: Any, names: dict[str, str]) -> RulesState:
    state = RulesState(names=names)
    if not isinstance(data, dict):
        state.error = "secrets.nix did not evaluate to an attribute set"
        return state
    for entry, value in data.items():
        keys = value.get("publicKeys") if isinstance(value, dict) else None
        if not isinstance(keys, list):
            continue
        # A key age cannot use was no reader either.
        parsed = (parse_key(str(key)) for key in keys)
        state.entries[str(entry)] = [key.text for key in parsed if key is not None]
    return state


class PastRules:
    """Evaluations of past secrets.nix files, cached by the digest of their folder."""

    def __init__(
        self,
        objects: ObjectReader,
        evaluator: str,
        states: dict[str, dict[str, Any]],
        tree_keys: dict[str, str],
    ) -> None:
        self._objects = objects
        self._evaluator = evaluator
        self._states = states  # digest → RulesState.to_cache(), kept across runs
        self._tree_keys = tree_keys  # "tree id rules name" → digest, kept across runs
        self._files: dict[str, dict[str, str]] = {}
        self._raw: dict[str, bytes] = {}
        self._loaded: dict[str, RulesState] = {}
        self.evaluations = 0

    def prefetch(self, trees: Iterable[tuple[str, bytes]]) -> None:
        """Raw tree objects read in bulk beforehand (one git call, not one per tree)."""
        self._raw.update(trees)

    def needs(self, tree: str, rules_name: str) -> bool:
        """Whether :meth:`state` would read ``tree`` (its digest is not known yet)."""
        return f"{tree} {rules_name}" not in self._tree_keys and tree not in self._raw

    def state(self, tree: str, rules_name: str) -> RulesState:
        """The rules of the folder whose tree is ``tree`` (rules file ``rules_name``)."""
        slot = f"{tree} {rules_name}"
        digest = self._tree_keys.get(slot)
        if digest is None:
            files = self._walk(tree)
            listing = "".join(f"{path}\0{blob}\n" for path, blob in sorted(files.items()))
            digest = hashlib.sha256(f"{rules_name}\n{listing}".encode()).hexdigest()
            self._tree_keys[slot] = digest
        if digest in self._loaded:
            return self._loaded[digest]
        state = _from_cache(self._states.get(digest))
        if state is None:
            state = self._evaluate(self._walk(tree), rules_name)
            self._states[digest] = state.to_cache()
        self._loaded[digest] = state
        return state

    def _walk(self, tree: str) -> dict[str, str]:
        """Relative path → blob id of every file below ``tree`` but the .age files."""
        if tree in self._files:
            return self._files[tree]
        files: dict[str, str] = {}
        data = self._raw.pop(tree, None)
        if data is None:
            data = self._objects.read(tree) or b""
        for mode, raw_name, raw_id in tree_entries(data):
            if raw_name.endswith(b".age"):
                continue
            name = raw_name.decode("utf-8", "surrogateescape")
            if mode == b"40000":
                for path, blob in self._walk(raw_id.hex()).items():
                    files[f"{name}/{path}"] = blob
            elif mode in (b"100644", b"100755"):
                files[name] = raw_id.hex()
        self._files[tree] = files
        return files

    def _evaluate(self, files: dict[str, str], rules_name: str) -> RulesState:
        self.evaluations += 1
        with tempfile.TemporaryDirectory(prefix="agepy-past-rules-") as folder:
            root = Path(folder)
            for path, blob in files.items():
                content = self._objects.read(blob)
                if content is None or len(content) > _MAX_FILE or ".." in path.split("/"):
                    continue
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            rules = root / rules_name
            if not rules.is_file():
                return RulesState(error=f"no {rules_name} in that commit")
            return _evaluate_file(rules, self._evaluator)


def _from_cache(data: Any) -> RulesState | None:
    """A cached state; None when absent or damaged (then it is evaluated again)."""
    try:
        state = RulesState.from_cache(data)
    except (KeyError, TypeError, ValueError):
        return None
    entries_ok = all(
        isinstance(keys, list) and all(isinstance(k, str) for k in keys)
        for keys in state.entries.values()
    )
    return state if entries_ok else None


def _evaluate_file(rules: Path, evaluator: str) -> RulesState:
    names: Callable[[Path], dict[str, str]] = rules_key_names
    try:
        data = evaluate_rules_file(rules, evaluator=evaluator)
    except AgepyError as exc:
        return RulesState(error=exc.message)
    except Exception as exc:  # an old file's evaluation must not stop today's check
        return RulesState(error=f"{type(exc).__name__}: {exc}")
    try:
        parsed = ((parse_key(k), v) for k, v in names(rules).items())
        bindings = {key.text: v for key, v in parsed if key is not None}
    except Exception:  # names are a courtesy: fingerprints name the keys instead
        bindings = {}
    return _state_from(data, bindings)
