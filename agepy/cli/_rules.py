"""Which secrets.nix a command uses, said once when it is not ./secrets.nix.

Apart from ``_common`` so that the command table and ``agepy --help`` do not load the
rules layer (Nix evaluation, tree-sitter, cryptography).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agepy._locate import locate_rules, rules_in_reach
from agepy.cli._common import announce_rules, err
from agepy.errors import AgepyError

if TYPE_CHECKING:
    from agepy.rules import Rules

__all__ = ["load_rules_at", "located_rules", "rules_key_names"]


def located_rules(given: Path | None) -> Path:
    """The rules file (--rules, $RULES, or found), announced when found elsewhere."""
    found = locate_rules(given)
    announce_rules(found, given)
    return found


def load_rules_at(path: Path, evaluator: str) -> Rules:
    # Imported here, not at the top: `encrypt` and `decrypt FILE` never evaluate
    # secrets.nix, and the rules layer (Nix evaluator, tree-sitter) is a fifth of their
    # start-up, which counts in every scripted decryption.
    from agepy.rules import load_rules

    return load_rules(path, evaluator=evaluator)


def rules_key_names(
    rules: Path | None, evaluator: str, loaded: Rules | None = None
) -> list[tuple[Any, str]]:
    """(recipient, name) pairs from the rules (``loaded``, else the rules file if there
    is one and it loads)."""
    if loaded is None:
        if not rules_in_reach(rules):
            return []

        try:
            loaded = load_rules_at(locate_rules(rules), evaluator)
        except AgepyError as exc:
            if rules is not None:
                raise
            err(f"agepy: warning: ignoring the rules file: {exc.message}")
            return []
    pairs = []
    for secret in loaded.secrets.values():
        for recipient in secret.recipients:
            name = loaded.name_of(recipient.text)
            if name != recipient.fingerprint:
                pairs.append((recipient, name))
    return pairs
