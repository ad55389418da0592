"""Pieces shared by the compiler modules: scopes, constants, located errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tree_sitter

from agepy.errors import NixEvalError, NixUnsupportedError
from agepy.nix.values import Env, EvalFailure, Location

__all__ = [
    "NO_CONSTANT",
    "Code",
    "Scope",
    "children",
    "constant",
    "field",
    "from_failure",
    "located",
]

Code = Callable[[Env], Any]


class Scope:
    """A compile-time scope: the names one Env level binds, or a ``with``."""

    __slots__ = ("is_with", "names", "parent")

    def __init__(
        self, names: frozenset[str] | set[str], parent: Scope | None, *, is_with: bool = False
    ):
        self.names = names
        self.parent = parent
        self.is_with = is_with


def children(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Named children without comments."""
    return [c for c in node.named_children if c.type != "comment"]


def field(node: tree_sitter.Node, name: str) -> tree_sitter.Node:
    child = node.child_by_field_name(name)
    if child is None:  # the parser guarantees these; defensive only
        raise NixEvalError(f"malformed syntax tree: no {name} in {node.type}")
    return child


NO_CONSTANT = object()


def constant(value: Any) -> Code:
    """Code that always yields ``value`` (marked so lazy() can skip the thunk)."""

    def const(env: Env) -> Any:
        return value

    const.constant = value  # type: ignore[attr-defined]
    return const


def located(
    message: str, loc: Location, *, hint: str | None = None, thrown: bool = False
) -> NixEvalError:
    path, line, column = loc
    if hint is None:
        hint = f"fix the expression at line {line} of {path.name}"
        if thrown:
            hint = "the file raises this error on purpose (throw/assert): see the message"
    error = NixEvalError(message, file=path, line=line, column=column, hint=hint)
    error.thrown = thrown  # type: ignore[attr-defined]
    return error


def from_failure(exc: EvalFailure, loc: Location) -> NixEvalError:
    """The located agepy error for a failure inside a builtin or operator."""
    path, line, column = loc
    if exc.unsupported is not None:
        return NixUnsupportedError(
            exc.unsupported, file=path, line=line, column=column, hint=exc.hint
        )
    return located(exc.message, loc, hint=exc.hint, thrown=exc.thrown)
