"""secrets.nix as agepy sees it: the validated rules model, and safe edits to the file."""

from __future__ import annotations

from agepy.rules.changes import (
    add_key_binding,
    add_recipient,
    add_secret,
    plan_add_key_binding,
    plan_add_recipient,
    plan_add_secret,
    plan_remove_recipient,
    remove_recipient,
)
from agepy.rules.model import (
    Rules,
    RuleWarning,
    Secret,
    entry_location,
    evaluate_rules_file,
    load_rules,
    locate_rules,
    rules_in_reach,
    validate_rules,
)
from agepy.rules.replacing import plan_replace_key, replace_key

__all__ = [
    "RuleWarning",
    "Rules",
    "Secret",
    "add_key_binding",
    "add_recipient",
    "add_secret",
    "entry_location",
    "evaluate_rules_file",
    "load_rules",
    "locate_rules",
    "plan_add_key_binding",
    "plan_add_recipient",
    "plan_add_secret",
    "plan_remove_recipient",
    "plan_replace_key",
    "remove_recipient",
    "replace_key",
    "rules_in_reach",
    "validate_rules",
]
