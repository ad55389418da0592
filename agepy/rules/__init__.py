"""secrets.nix as agepy sees it: the validated rules model, and safe edits to the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agepy._lazy import lazy_exports

_EXPORTS = {
    "add_key_binding": "agepy.rules.editing",
    "add_recipient": "agepy.rules.editing",
    "add_secret": "agepy.rules.editing",
    "plan_add_key_binding": "agepy.rules.editing",
    "plan_add_recipient": "agepy.rules.editing",
    "plan_add_secret": "agepy.rules.editing",
    "plan_remove_recipient": "agepy.rules.editing",
    "remove_recipient": "agepy.rules.editing",
    "Rules": "agepy.rules.model",
    "RuleWarning": "agepy.rules.model",
    "Secret": "agepy.rules.model",
    "entry_location": "agepy.rules.model",
    "evaluate_rules_file": "agepy.rules.model",
    "load_rules": "agepy.rules.model",
    "locate_rules": "agepy.rules.model",
    "rules_in_reach": "agepy.rules.model",
    "validate_rules": "agepy.rules.model",
    "plan_replace_key": "agepy.rules.replacing",
    "replace_key": "agepy.rules.replacing",
}

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

__getattr__ = lazy_exports("agepy.rules", globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from agepy.rules.editing import (
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
