"""Evaluating secrets.nix: through agepy.nix (built-in evaluator or real Nix), and the
names its top ``let`` gives to keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tree_sitter

from agepy.age.recipients import parse_recipient
from agepy.errors import AgepyError, NixEvalError, Reason, RecipientError
from agepy.nix import evaluate_file, key_names
from agepy.nix.parse import ParsedFile, parse_file

__all__ = ["evaluate_rules_file", "rules_key_names"]


def evaluate_rules_file(path: Path, *, evaluator: str = "auto") -> Any:
    """Evaluate a Nix file to JSON-like data (agepy.nix: built-in evaluator or real Nix)."""
    try:
        return evaluate_file(path, evaluator=evaluator)
    except AgepyError:
        raise
    except Exception as exc:  # a bug in the built-in evaluator must not reach the user
        if evaluator == "auto":
            return evaluate_file(path, evaluator="nix")
        raise NixEvalError(
            f"internal evaluator error ({type(exc).__name__}: {exc})",
            file=path,
            hint="evaluate with Nix, and please report this file",
            reason=Reason.BUILTIN_EVALUATOR_BUG,
        ) from None


def rules_key_names(path: Path) -> dict[str, str]:
    """Key text (no comment) → binding name, with the names agepy.nix.key_names resolves."""
    # The plain top-let bindings always count; agepy.nix adds names it can resolve further.
    names = _top_let_key_names(parse_file(path))
    for key, name in key_names(path).items():
        names.setdefault(key, name)
    return names


def _top_let_key_names(parsed: ParsedFile) -> dict[str, str]:
    # Fallback only: plain `name = "key";` bindings of the outermost let.
    names: dict[str, str] = {}
    # The field, not the first child: a leading comment is a named child too.
    node = parsed.root.child_by_field_name("expression")
    while node is not None and node.type == "let_expression":
        for binding in bindings_of(node):
            value = binding.child_by_field_name("expression")
            attrpath = binding.child_by_field_name("attrpath")
            if value is None or attrpath is None or value.type != "string_expression":
                continue
            if any(c.type == "interpolation" for c in value.children):
                continue
            text = parsed.text(value)[1:-1]
            try:
                names.setdefault(parse_recipient(text).text, parsed.text(attrpath))
            except RecipientError:
                continue
        node = node.child_by_field_name("body")
    return names


def bindings_of(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The ``name = value;`` bindings of a let or attribute set node."""
    for child in node.named_children:
        if child.type == "binding_set":
            yield from (b for b in child.named_children if b.type == "binding")
