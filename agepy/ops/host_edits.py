"""add-host's edit of secrets.nix as one checked change: bind the name, add it to secrets.

Planned as one text and evaluated once (instead of an edit, a reload and an evaluation
per step), the evaluation that checks it is also the new rules the secrets are then
encrypted to: nothing is evaluated again after the write.
"""

from __future__ import annotations

from collections.abc import Sequence

from agepy.errors import EditError
from agepy.nix import source_edit as edit
from agepy.rules.model import Rules
from agepy.rules.validate import Secret
from agepy.rules.verify import unchanged_except, verify_changes

__all__ = ["plan_host_binding"]


def plan_host_binding(
    rules: Rules, name: str, key: str, targets: Sequence[str], *, bind: bool, evaluator: str
) -> tuple[bytes, dict[str, Secret]]:
    """The new secrets.nix text with ``name = "<key>";`` in the top let (if ``bind``) and
    ``name`` appended to the publicKeys of each of ``targets``; and the rules it evaluates
    to, checked to be exactly the old ones with ``key`` added to ``targets``."""
    new = rules.path.read_bytes()
    if bind:
        new = edit.add_binding(new, name, key.strip(), path=rules.path)
    item = edit.Item(name, is_name=True)
    for target in targets:
        new = edit.add_list_item(new, target, item, path=rules.path)
    added = edit.key_canonical(key)
    verified: dict[str, Secret] = {}

    def check(after: dict[str, Secret]) -> None:
        unchanged_except(rules.secrets, after, set(targets))
        for target in targets:
            before = [edit.key_canonical(k) for k in rules.secrets[target].listed_keys]
            got = (
                [edit.key_canonical(k) for k in after[target].listed_keys]
                if target in after
                else []
            )
            if got != [*before, added]:
                raise EditError(
                    f"the edit would not simply add {name} to {target!r}",
                    hint=f"add {name} to its publicKeys by hand",
                )
        verified.update(after)

    steps = [f"add {name} = {edit.nix_string(key.strip())}; to the let"] if bind else []
    steps += [f"add {name} to the publicKeys of {edit.nix_string(t)}" for t in targets]
    verify_changes(rules.path, {rules.path: new}, evaluator, check, ", then ".join(steps))
    return new, verified
