"""Safe edits of secrets.nix (and the key files it imports), verified before writing.

Each edit computes the new text with :mod:`agepy.nix.source_edit`, then checks that it parses
and evaluates to exactly the intended rules (:mod:`agepy.rules.verify`); only then is it
written atomically (keeping the file's mode). On any failure nothing is changed. The
``plan_*`` functions return the checked new texts without writing: a plan is either an
edit known to give the intended rules, or an EditError whose hint says what to do by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agepy.age.recipients import key_canonical, parse_recipient
from agepy.errors import EditError, NixError, Reason
from agepy.nix import source_edit as edit
from agepy.nix.parse import parse_source
from agepy.rules.model import Rules, Secret, evaluate_rules_file, load_rules
from agepy.rules.verify import Check, unchanged_except, verify_changes, write_changes, write_temp

__all__ = [
    "add_key_binding",
    "add_recipient",
    "add_secret",
    "item_for",
    "plan_add_key_binding",
    "plan_add_recipient",
    "plan_add_secret",
    "plan_remove_recipient",
    "remove_recipient",
]


def item_for(name_or_key: str, source: bytes | None = None) -> edit.Item:
    """A key (validated) or a Nix name; a key bound in the top let becomes its name."""
    text = name_or_key.strip()
    if " " in text or text.lower().startswith(("age1", "ssh-", "ecdsa-", "sk-")):
        recipient = parse_recipient(text)  # RecipientError for ecdsa, sk-, bad base64…
        if source is not None:
            bound = edit.let_key_bindings(parse_source(source)).get(recipient.text)
            if bound is not None:
                return edit.Item(bound[0], is_name=True)
        return edit.Item(text, is_name=False)
    return edit.Item(text, is_name=True)


# --- operations -------------------------------------------------------------------------


def _apply(
    rules_path: Path | str,
    evaluator: str,
    dry_run: bool,
    plan: Callable[..., tuple[bytes, Any]],
    *args: Any,
) -> str:
    """Load the rules, plan the edit (checked against the intended model), write it
    atomically unless ``dry_run``; return the new text."""
    rules = load_rules(rules_path, evaluator=evaluator)
    new, _ = plan(rules, *args, evaluator=evaluator)
    if not dry_run:
        write_changes({rules.path: new})
    return new.decode()


def plan_add_key_binding(
    rules: Rules, name: str, key: str, *, evaluator: str = "auto"
) -> tuple[bytes, Check]:
    recipient = parse_recipient(key)
    source = rules.path.read_bytes()
    new = edit.add_binding(source, name, recipient.original.strip(), path=rules.path)

    def check(after: dict[str, Secret]) -> None:
        unchanged_except(rules.secrets, after, set())

    what = f"add {name} = {edit.nix_string(recipient.original.strip())}; to the let"
    verify_changes(rules.path, {rules.path: new}, evaluator, check, what)
    return new, check


def add_key_binding(
    rules_path: Path | str, name: str, key: str, *, evaluator: str = "auto", dry_run: bool = False
) -> str:
    """Bind ``name = "<key>";`` in the top let of secrets.nix; returns the new text."""
    return _apply(rules_path, evaluator, dry_run, plan_add_key_binding, name, key)


def plan_add_recipient(
    rules: Rules, secret_name: str, name_or_key: str, *, evaluator: str = "auto"
) -> tuple[bytes, Check]:
    secret = rules.get(secret_name)
    source = rules.path.read_bytes()
    item = item_for(name_or_key, source)
    if not item.is_name and any(r.text == key_canonical(item.text) for r in secret.recipients):
        raise EditError(
            f"{secret.name!r} already has key {rules.name_of(item.text)}", hint="nothing to do"
        )
    new = edit.add_list_item(source, secret.name, item, path=rules.path)
    before = secret.listed_keys

    def check(after: dict[str, Secret]) -> None:
        unchanged_except(rules.secrets, after, {secret.name})
        keys = after[secret.name].listed_keys
        if len(keys) != len(before) + 1 or keys[:-1] != before:
            raise EditError(
                f"the edit would not simply add one key to {secret.name!r}",
                hint=f"add {item.source()} to its publicKeys by hand",
            )
        if not item.is_name and key_canonical(keys[-1]) != key_canonical(item.text):
            raise EditError(f"{item.source()} does not evaluate to itself", hint="add it by hand")

    return _verified(rules, new, check, evaluator, f"add {item.source()} to", secret.name)


def _verified(
    rules: Rules, new: bytes, check: Check, evaluator: str, change: str, secret_name: str
) -> tuple[bytes, Check]:
    """``new`` once it evaluates and passes ``check`` (``change`` the publicKeys of the secret)."""
    what = f"{change} the publicKeys of {edit.nix_string(secret_name)}"
    verify_changes(rules.path, {rules.path: new}, evaluator, check, what)
    return new, check


def add_recipient(
    rules_path: Path | str,
    secret_name: str,
    name_or_key: str,
    *,
    evaluator: str = "auto",
    dry_run: bool = False,
) -> str:
    """Add a key (or the name bound to it) to one secret's publicKeys; returns the new text."""
    return _apply(rules_path, evaluator, dry_run, plan_add_recipient, secret_name, name_or_key)


def _key_of(rules: Rules, item: edit.Item, source: bytes) -> str | None:
    if not item.is_name:
        return key_canonical(item.text)
    for canonical, (name, _literal) in edit.let_key_bindings(parse_source(source)).items():
        if name == item.text:
            return canonical
    return next((k for k, n in rules.key_names.items() if n == item.text), None)


def _element_for_key(
    rules: Rules, source: bytes, secret: str, key: str | None, evaluator: str
) -> str | None:
    probe, names = edit.probe_elements(source, secret, path=rules.path)
    if key is None or not names:
        return None
    temp = write_temp(rules.path, probe)
    try:
        values = evaluate_rules_file(temp, evaluator=evaluator)[secret]["publicKeys"]
    except (NixError, KeyError, TypeError):
        return None
    finally:
        temp.unlink(missing_ok=True)
    for name, value in zip(names, values, strict=False):
        if isinstance(value, str) and key_canonical(value) == key:
            return name
    return None


def plan_remove_recipient(
    rules: Rules, secret_name: str, name_or_key: str, *, evaluator: str = "auto"
) -> tuple[bytes, Check]:
    secret = rules.get(secret_name)
    source = rules.path.read_bytes()
    item = item_for(name_or_key)
    target = _key_of(rules, item, source)
    if len(secret.listed_keys) == 1 and target in (None, key_canonical(secret.listed_keys[0])):
        # Decided on the evaluated model: the list may look longer (`[ a ] ++ extra`) when
        # the other parts evaluate to nothing.
        raise EditError(
            f"removing {item.text if item.is_name else rules.name_of(item.text)} would leave "
            f"{secret.name!r} with no keys",
            file=rules.path,
            hint="add another key first, or delete the entry by hand",
        )
    try:
        new = edit.remove_list_item(source, secret.name, item, path=rules.path)
    except EditError:
        # A key listed through a name agepy cannot resolve statically (keys.alice, inherit):
        # one evaluation tells which named element holds it.
        alias = (
            _element_for_key(rules, source, secret.name, target, evaluator)
            if not item.is_name
            else None
        )
        if alias is None:
            raise
        item = edit.Item(alias, is_name=True)
        new = edit.remove_list_item(source, secret.name, item, path=rules.path)
    before = secret.listed_keys

    def check(after: dict[str, Secret]) -> None:
        unchanged_except(rules.secrets, after, {secret.name})
        keys = after[secret.name].listed_keys
        removed = [i for i in range(len(before)) if before[:i] + before[i + 1 :] == keys]
        if not removed:
            raise EditError(
                f"the edit would not simply remove one key from {secret.name!r}",
                hint=f"remove {item.source()} from its publicKeys by hand",
            )
        if target is not None and any(key_canonical(k) == target for k in keys):
            raise EditError(
                f"{secret.name!r} would still get that key from another part of publicKeys",
                hint=f"remove {item.source()} by hand where the list is built",
            )

    return _verified(rules, new, check, evaluator, f"remove {item.source()} from", secret.name)


def remove_recipient(
    rules_path: Path | str,
    secret_name: str,
    name_or_key: str,
    *,
    evaluator: str = "auto",
    dry_run: bool = False,
) -> str:
    """Remove a key (or a name) from one secret's publicKeys; returns the new text."""
    return _apply(rules_path, evaluator, dry_run, plan_remove_recipient, secret_name, name_or_key)


def plan_add_secret(
    rules: Rules, secret_name: str, names_or_keys: list[str], *, evaluator: str = "auto"
) -> tuple[bytes, Check]:
    if not secret_name or "\x00" in secret_name:
        raise EditError("a secret needs a name", hint="e.g. heisenbridge-config.age")
    if secret_name in rules.secrets:
        raise EditError(f"entry {secret_name!r} already exists", hint="pick another name")
    source = rules.path.read_bytes()
    items = [item_for(x, source) for x in names_or_keys]
    new = edit.add_entry(source, secret_name, items, path=rules.path)

    def check(after: dict[str, Secret]) -> None:
        unchanged_except(rules.secrets, after, {secret_name})
        added = after.get(secret_name)
        if added is None or len(added.listed_keys) != len(items):
            raise EditError(
                f"the edit would not add {secret_name!r} as asked", hint="add it by hand"
            )
        for item, key in zip(items, added.listed_keys, strict=True):
            if not item.is_name and key_canonical(key) != key_canonical(item.text):
                raise EditError(
                    f"{item.source()} does not evaluate to itself", hint="add it by hand"
                )

    listed = " ".join(item.source() for item in items)
    what = f"{edit.nix_string(secret_name)}.publicKeys = [ {listed} ];"
    try:
        verify_changes(rules.path, {rules.path: new}, evaluator, check, what)
    except EditError as exc:
        _unknown_name(rules, items, exc)
        raise
    return new, check


def _unknown_name(rules: Rules, items: list[edit.Item], exc: EditError) -> None:
    """A clearer EditError when the edit failed only because a name is not bound."""
    for item in items:
        if item.is_name and f"undefined variable '{item.text}'" in exc.message:
            known = ", ".join(sorted(set(rules.key_names.values()))) or "none"
            raise EditError(
                f"{item.text!r} is neither a public key nor a name bound in {rules.path.name}",
                file=rules.path,
                hint=f"give a public key or one of its names ({known}); or bind the name first",
                reason=Reason.UNKNOWN_KEY_NAME,
                details={"known": known},
            ) from None


def add_secret(
    rules_path: Path | str,
    secret_name: str,
    names_or_keys: list[str],
    *,
    evaluator: str = "auto",
    dry_run: bool = False,
) -> str:
    """Add a new entry ``"<name>".publicKeys = [ … ];``; returns the new text."""
    return _apply(rules_path, evaluator, dry_run, plan_add_secret, secret_name, names_or_keys)
