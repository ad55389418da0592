"""Which secrets.nix a command uses, said once when it is not ./secrets.nix.

Apart from ``_common`` so that the command table and ``agepy --help`` do not load the
rules layer (Nix evaluation, tree-sitter, cryptography).
"""

from __future__ import annotations

from pathlib import Path

from agepy._locate import locate_rules
from agepy.cli._common import announce_rules

__all__ = ["located_rules"]


def located_rules(given: Path | None) -> Path:
    """The rules file (--rules, $RULES, or found), announced when found elsewhere."""
    found = locate_rules(given)
    announce_rules(found, given)
    return found
