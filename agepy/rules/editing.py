"""Safe edits of secrets.nix (and the key files it imports), verified before writing.

Each edit computes the new text with :mod:`agepy.nix.edit`, writes it to a temporary
file in the same folder, checks that it parses and evaluates to exactly the intended
rules, then fsyncs and renames it over the original (keeping its mode). On any failure
nothing is changed. The ``plan_*`` functions return the new texts without writing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from agepy.errors import EditError, NixError, RecipientError, RulesError
from agepy.keys import parse_recipient
from agepy.nix import edit
from agepy.nix.parse import parse_source
from agepy.rules.model import Rules, Secret, evaluate_rules_file, load_rules, validate_rules

__all__ = [
    "add_key_binding",
    "add_recipient",
    "add_secret",
    "item_for",
    "plan_add_key_binding",
    "plan_add_recipient",
    "plan_add_secret",
    "plan_remove_recipient",
    "plan_replace_key",
    "remove_recipient",
    "replace_key",
]

Check = Callable[[dict[str, Secret]], None]


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


def _canonical(text: str) -> str:
    return edit.key_canonical(text)


def _unchanged_except(before: dict[str, Secret], after: dict[str, Secret], skip: set[str]) -> None:
    for name, secret in before.items():
        if name in skip:
            continue
        other = after.get(name)
        if other is None or other.public_keys != secret.public_keys or other.armor != secret.armor:
            raise EditError(
                f"the edit would change entry {name!r} too",
                hint="edit the file by hand; this layout is not safe to edit automatically",
            )
    extra = set(after) - set(before) - skip
    if extra:
        raise EditError(
            f"the edit would add entry {sorted(extra)[0]!r}", hint="edit the file by hand"
        )


# --- verification and writing ----------------------------------------------------------


def _evaluate_candidate(
    rules_path: Path, candidate: Path, evaluator: str, check: Check
) -> dict[str, Secret]:
    try:
        parse_source(candidate.read_bytes(), rules_path)
        data = evaluate_rules_file(candidate, evaluator=evaluator)
        after = validate_rules(data, rules_path)
    except RulesError as exc:
        raise EditError(
            f"after the edit: {exc.message.split(': ', 1)[-1]}",
            file=rules_path,
            hint=exc.hint or "edit the file by hand",
        ) from None
    except NixError as exc:
        raise EditError(
            f"the edited file would not evaluate: {exc.message.split(': ', 1)[-1]}",
            file=rules_path,
            hint="edit the file by hand (agepy refused to write a broken file)",
        ) from None
    check(after)
    return after


def _write_temp(path: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".agepy.nix", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            Path(name).chmod(stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _commit(temp: Path, path: Path) -> None:
    temp.replace(path)
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_verified(
    rules_path: Path, changes: dict[Path, bytes], evaluator: str, check: Check
) -> list[Path]:
    """Verify ``changes`` give the intended rules, then write each file atomically."""
    rules_path = rules_path.resolve()
    changes = {path.resolve(): data for path, data in changes.items()}
    for path, data in changes.items():
        if path.suffix == ".nix":
            parse_source(data, path)
    if set(changes) <= {rules_path}:
        temp = _write_temp(rules_path, changes[rules_path])
        try:
            _evaluate_candidate(rules_path, temp, evaluator, check)
            _commit(temp, rules_path)
        finally:
            temp.unlink(missing_ok=True)
        return [rules_path]
    # Several files: evaluate a mirror of everything secrets.nix references, then write.
    files = edit.referenced_files(rules_path)
    root = Path(os.path.commonpath([str(p.parent) for p in files]))
    with tempfile.TemporaryDirectory(prefix="agepy-verify-") as mirror:
        for path in files:
            target = Path(mirror, path.relative_to(root))
            target.parent.mkdir(parents=True, exist_ok=True)
            if path in changes:
                target.write_bytes(changes[path])
            else:
                shutil.copyfile(path, target)
        _evaluate_candidate(
            rules_path, Path(mirror, rules_path.relative_to(root)), evaluator, check
        )
    temps = {path: _write_temp(path, data) for path, data in changes.items()}
    try:
        for path, temp in temps.items():
            _commit(temp, path)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return list(changes)


def _load(rules_path: Path | str, evaluator: str) -> Rules:
    return load_rules(rules_path, evaluator=evaluator)


# --- operations -------------------------------------------------------------------------


def plan_add_key_binding(rules: Rules, name: str, key: str) -> tuple[bytes, Check]:
    recipient = parse_recipient(key)
    source = rules.path.read_bytes()
    new = edit.add_binding(source, name, recipient.original.strip(), path=rules.path)

    def check(after: dict[str, Secret]) -> None:
        _unchanged_except(rules.secrets, after, set())

    return new, check


def add_key_binding(
    rules_path: Path | str, name: str, key: str, *, evaluator: str = "auto", dry_run: bool = False
) -> str:
    """Bind ``name = "<key>";`` in the top let of secrets.nix; returns the new text."""
    rules = _load(rules_path, evaluator)
    new, check = plan_add_key_binding(rules, name, key)
    if not dry_run:
        _write_verified(rules.path, {rules.path: new}, evaluator, check)
    return new.decode()


def plan_add_recipient(rules: Rules, secret_name: str, name_or_key: str) -> tuple[bytes, Check]:
    secret = rules.get(secret_name)
    source = rules.path.read_bytes()
    item = item_for(name_or_key, source)
    if not item.is_name and any(r.text == _canonical(item.text) for r in secret.recipients):
        raise EditError(
            f"{secret.name!r} already has key {rules.name_of(item.text)}", hint="nothing to do"
        )
    new = edit.add_list_item(source, secret.name, item, path=rules.path)
    before = secret.public_keys

    def check(after: dict[str, Secret]) -> None:
        _unchanged_except(rules.secrets, after, {secret.name})
        keys = after[secret.name].public_keys
        if len(keys) != len(before) + 1 or keys[:-1] != before:
            raise EditError(
                f"the edit would not simply add one key to {secret.name!r}",
                hint=f"add {item.source()} to its publicKeys by hand",
            )
        if not item.is_name and _canonical(keys[-1]) != _canonical(item.text):
            raise EditError(f"{item.source()} does not evaluate to itself", hint="add it by hand")

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
    rules = _load(rules_path, evaluator)
    new, check = plan_add_recipient(rules, secret_name, name_or_key)
    if not dry_run:
        _write_verified(rules.path, {rules.path: new}, evaluator, check)
    return new.decode()


def _key_of(rules: Rules, item: edit.Item, source: bytes) -> str | None:
    if not item.is_name:
        return _canonical(item.text)
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
    temp = _write_temp(rules.path, probe)
    try:
        values = evaluate_rules_file(temp, evaluator=evaluator)[secret]["publicKeys"]
    except (NixError, KeyError, TypeError):
        return None
    finally:
        temp.unlink(missing_ok=True)
    for name, value in zip(names, values, strict=False):
        if isinstance(value, str) and _canonical(value) == key:
            return name
    return None


def plan_remove_recipient(
    rules: Rules, secret_name: str, name_or_key: str, *, evaluator: str = "auto"
) -> tuple[bytes, Check]:
    secret = rules.get(secret_name)
    source = rules.path.read_bytes()
    item = item_for(name_or_key)
    target = _key_of(rules, item, source)
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
    before = secret.public_keys

    def check(after: dict[str, Secret]) -> None:
        _unchanged_except(rules.secrets, after, {secret.name})
        keys = after[secret.name].public_keys
        removed = [i for i in range(len(before)) if before[:i] + before[i + 1 :] == keys]
        if not removed:
            raise EditError(
                f"the edit would not simply remove one key from {secret.name!r}",
                hint=f"remove {item.source()} from its publicKeys by hand",
            )
        if target is not None and any(_canonical(k) == target for k in keys):
            raise EditError(
                f"{secret.name!r} would still get that key from another part of publicKeys",
                hint=f"remove {item.source()} by hand where the list is built",
            )

    return new, check


def remove_recipient(
    rules_path: Path | str,
    secret_name: str,
    name_or_key: str,
    *,
    evaluator: str = "auto",
    dry_run: bool = False,
) -> str:
    """Remove a key (or a name) from one secret's publicKeys; returns the new text."""
    rules = _load(rules_path, evaluator)
    new, check = plan_remove_recipient(rules, secret_name, name_or_key, evaluator=evaluator)
    if not dry_run:
        _write_verified(rules.path, {rules.path: new}, evaluator, check)
    return new.decode()


def plan_add_secret(
    rules: Rules, secret_name: str, names_or_keys: list[str]
) -> tuple[bytes, Check]:
    if not secret_name or "\x00" in secret_name:
        raise EditError("a secret needs a name", hint="e.g. heisenbridge-config.age")
    if secret_name in rules.secrets:
        raise EditError(f"entry {secret_name!r} already exists", hint="pick another name")
    source = rules.path.read_bytes()
    items = [item_for(x, source) for x in names_or_keys]
    new = edit.add_entry(source, secret_name, items, path=rules.path)

    def check(after: dict[str, Secret]) -> None:
        _unchanged_except(rules.secrets, after, {secret_name})
        added = after.get(secret_name)
        if added is None or len(added.public_keys) != len(items):
            raise EditError(
                f"the edit would not add {secret_name!r} as asked", hint="add it by hand"
            )
        for item, key in zip(items, added.public_keys, strict=True):
            if not item.is_name and _canonical(key) != _canonical(item.text):
                raise EditError(
                    f"{item.source()} does not evaluate to itself", hint="add it by hand"
                )

    return new, check


def add_secret(
    rules_path: Path | str,
    secret_name: str,
    names_or_keys: list[str],
    *,
    evaluator: str = "auto",
    dry_run: bool = False,
) -> str:
    """Add a new entry ``"<name>".publicKeys = [ … ];``; returns the new text."""
    rules = _load(rules_path, evaluator)
    new, check = plan_add_secret(rules, secret_name, names_or_keys)
    if not dry_run:
        _write_verified(rules.path, {rules.path: new}, evaluator, check)
    return new.decode()


def plan_replace_key(rules: Rules, old_key: str, new_key: str) -> tuple[dict[Path, bytes], Check]:
    """New texts of every file holding ``old_key`` as a literal, and the model check."""
    new_recipient = parse_recipient(new_key)
    old = _canonical(old_key)
    if not old:
        raise RecipientError("no old key given", hint="give the key to replace")
    if old == new_recipient.text:
        raise EditError("the old and new keys are the same", hint="nothing to do")
    changes: dict[Path, bytes] = {}
    for path in edit.referenced_files(rules.path):
        source = path.read_bytes()
        if path.suffix == ".nix":
            new, count = edit.replace_key_literals(source, old_key, new_key.strip(), path=path)
        else:
            text, count = edit.replace_key_in_data(source.decode(), old_key, new_key.strip())
            new = text.encode()
        if count:
            changes[path] = new
    if not changes:
        raise EditError(
            "the old key is not written literally in secrets.nix or the files it imports",
            file=rules.path,
            hint=f'replace it by hand with "{new_recipient.original.strip()}"',
        )
    before = rules.secrets

    def check(after: dict[str, Secret]) -> None:
        _unchanged_except({}, after, set(before))
        for name, secret in before.items():
            keys = after[name].public_keys if name in after else []
            expected = [
                new_recipient.text if _canonical(k) == old else _canonical(k)
                for k in secret.public_keys
            ]
            if [_canonical(k) for k in keys] != expected:
                raise EditError(
                    f"after the edit {name!r} would not have exactly the new key",
                    hint="replace the key by hand",
                )

    return changes, check


def replace_key(
    rules_path: Path | str,
    old_key: str,
    new_key: str,
    *,
    evaluator: str = "auto",
    dry_run: bool = False,
) -> list[Path]:
    """Replace a key wherever it is written (secrets.nix, imported .nix/.json/.toml)."""
    rules = _load(rules_path, evaluator)
    changes, check = plan_replace_key(rules, old_key, new_key)
    if dry_run:
        return list(changes)
    return _write_verified(rules.path, changes, evaluator, check)
