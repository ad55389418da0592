"""secrets.nix as agepy sees it: the validated rules model, and safe edits to the file."""

from __future__ import annotations

from agepy.rules.model import (
    Rules,
    Secret,
    entry_location,
    evaluate_rules_file,
    load_rules,
    locate_rules,
    validate_rules,
)

__all__ = [
    "Rules",
    "Secret",
    "entry_location",
    "evaluate_rules_file",
    "load_rules",
    "locate_rules",
    "validate_rules",
]
