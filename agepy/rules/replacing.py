"""Replace one key wherever it is written (secrets.nix, imported .nix/.json/.toml files).

The intended rules: every entry that evaluated to the old key gets the new key in its
place, and nothing else changes. When an entry already has the new key as well, that
model would list it twice (agenix rejects it), so the edit is refused. Files that compute
with the key text (a filter on the ``ssh-`` prefix, say) may change more than that; the
evaluation check then refuses too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agepy.age.recipients import parse_recipient
from agepy.errors import EditError, RecipientError
from agepy.nix import source_edit as edit
from agepy.rules.model import Rules, Secret, load_rules
from agepy.rules.verify import Check, unchanged_except, verify_changes, write_changes

__all__ = ["plan_replace_key", "replace_key"]


def _short(rules: Rules, key: str) -> str:
    name = rules.name_of(key)
    return name if name != key else f"{key[:24]}…"


def _difference(rules: Rules, expected: list[str], got: list[str]) -> tuple[str, bool]:
    """What an entry would get beyond or miss from the intended keys; whether it gains."""
    gained = Counter(got) - Counter(expected)
    lost = Counter(expected) - Counter(got)
    parts = [
        f"get {_short(rules, k)} {'again' if k in expected else 'too'}" for k in gained.elements()
    ]
    parts += [f"lose {_short(rules, k)}" for k in lost.elements()]
    return ", ".join(parts) or "list its keys in another order", bool(gained)


def plan_replace_key(
    rules: Rules, old_key: str, new_key: str, *, evaluator: str = "auto"
) -> tuple[dict[Path, bytes], Check]:
    """New texts of every file holding ``old_key`` as a literal, checked to give exactly
    the old rules with ``old_key`` → ``new_key``; and that check."""
    new_recipient = parse_recipient(new_key)
    new = new_recipient.text
    old = edit.key_canonical(old_key)
    if not old:
        raise RecipientError("no old key given", hint="give the key to replace")
    if old == new:
        raise EditError("the old and new keys are the same", hint="nothing to do")
    for secret in rules.secrets.values():
        keys = {edit.key_canonical(k) for k in secret.listed_keys}
        if old in keys and new in keys:
            raise EditError(
                f"{secret.name!r} already has the new key {_short(rules, new)}, so replacing "
                "the old one would list it twice",
                file=rules.path,
                hint=f"remove the old key from {secret.name!r} first, then replace it elsewhere",
            )
    changes: dict[Path, bytes] = {}
    for path in edit.referenced_files(rules.path):
        source = path.read_bytes()
        if path.suffix == ".nix":
            text, count = edit.replace_key_literals(source, old_key, new_key.strip(), path=path)
        else:
            data, count = edit.replace_key_in_data(source.decode(), old_key, new_key.strip())
            text = data.encode()
        if count:
            changes[path] = text
    if not changes:
        raise EditError(
            "the old key is not written literally in secrets.nix or the files it imports",
            file=rules.path,
            hint=f'replace it by hand with "{new_recipient.original.strip()}"',
        )
    before = rules.secrets

    def check(after: dict[str, Secret]) -> None:
        unchanged_except({}, after, set(before))
        for name, secret in before.items():
            got = [edit.key_canonical(k) for k in after[name].listed_keys] if name in after else []
            expected = [
                new if edit.key_canonical(k) == old else edit.key_canonical(k)
                for k in secret.listed_keys
            ]
            if got != expected:
                change, gains = _difference(rules, expected, got)
                why = (
                    "the file selects keys by their text"
                    if gains
                    else "the old key is also built in a way agepy cannot rewrite"
                )
                raise EditError(
                    f"after the edit {name!r} would {change} ({why})",
                    file=rules.path,
                    hint="replace the key by hand, and adjust what selects keys by their text",
                )

    what = f'write "{new_recipient.original.strip()}" where the old key is written'
    verify_changes(rules.path, changes, evaluator, check, what)
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
    rules = load_rules(rules_path, evaluator=evaluator)
    changes, _ = plan_replace_key(rules, old_key, new_key, evaluator=evaluator)
    if dry_run:
        return list(changes)
    return write_changes(changes)
