"""Pieces shared by the compiler modules: scopes, constants, located errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tree_sitter

from agepy.errors import NixEvalError, NixUnsupportedError
from agepy.nix.values import Env, EvalFailure, Location, Thunk, describe, force

__all__ = [
    "NO_CONSTANT",
    "Code",
    "Scope",
    "children",
    "constant",
    "field",
    "from_failure",
    "located",
    "lookup",
    "reused_env",
    "same_env_same_value",
    "with_lookup",
]

Code = Callable[[Env], Any]


class Scope:
    """A compile-time scope: the names one Env level binds, or a ``with``."""

    __slots__ = ("in_function", "is_with", "names", "parent")

    def __init__(
        self,
        names: frozenset[str] | set[str],
        parent: Scope | None,
        *,
        is_with: bool = False,
        function: bool = False,
    ):
        self.names = names
        self.parent = parent
        self.is_with = is_with
        # Inside a function body every call makes new Envs: no Env there is met twice.
        self.in_function: bool = function or (parent is not None and parent.in_function)


def children(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Named children without comments."""
    return [c for c in node.named_children if c.type != "comment"]


def field(node: tree_sitter.Node, name: str) -> tree_sitter.Node:
    child = node.child_by_field_name(name)
    if child is None:  # the parser guarantees these; defensive only
        raise NixEvalError(
            f"malformed syntax tree: no {name} in {node.type}",
            hint="this is a bug in agepy's Nix parser; please report the file",
        )
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


def lookup(name: str, depth: int, lazy: bool) -> Code:
    """A static variable ``depth`` scopes up."""
    if lazy:
        if depth == 0:
            return lambda env: env.vals[name]
        if depth == 1:
            return lambda env: env.up.vals[name]  # type: ignore[union-attr]

        def deep_lazy(env: Env) -> Any:
            for _ in range(depth):
                env = env.up  # type: ignore[assignment]
            return env.vals[name]

        return deep_lazy
    if depth == 0:

        def var0(env: Env) -> Any:
            value = env.vals[name]
            return value.force() if isinstance(value, Thunk) else value

        return var0
    if depth == 1:

        def var1(env: Env) -> Any:
            value = env.up.vals[name]  # type: ignore[union-attr]
            return value.force() if isinstance(value, Thunk) else value

        return var1

    def var(env: Env) -> Any:
        for _ in range(depth):
            env = env.up  # type: ignore[assignment]
        value = env.vals[name]
        return value.force() if isinstance(value, Thunk) else value

    return var


def with_lookup(name: str, depths: list[int], loc: Location, lazy: bool) -> Code:
    """A variable only a ``with`` can bind: innermost ``with`` first."""

    def find(env: Env) -> Any:
        level = 0
        for depth in depths:
            while level < depth:
                env = env.up  # type: ignore[assignment]
                level += 1
            attrs = force(env.attrs)  # type: ignore[attr-defined]
            if type(attrs) is not dict:
                raise located(f"value is {describe(attrs)} while a set was expected", loc)
            if name in attrs:
                return attrs[name]
        raise located(f"undefined variable '{name}'", loc)

    if lazy:

        def with_lazy(env: Env) -> Any:
            return Thunk(lambda e: force(find(e)), env, loc)

        return with_lazy
    return lambda env: force(find(env))


def reused_env(scope: Scope | None) -> bool:
    """Whether code in ``scope`` may run again in the same Env (see same_env_same_value)."""
    return scope is None or not scope.in_function


def same_env_same_value(maker: Code) -> Code:
    """``maker``, answering a repeated call in the same Env with the same value (or thunk).

    Shared code (see Compiler) meets the same Env once per entry of a big set, as every
    `"x.age".publicKeys = admins ++ servers;` is made in the set's scope: one thunk for
    all of them is the same Nix value (Nix values are immutable; nothing here mutates
    one), forced once instead of once per entry. The memo lives in the Env, so it goes
    when the Env goes and no evaluation sees another's values.
    """
    token = object()

    def cached(env: Env) -> Any:
        memo = env.memo
        if memo is None:
            memo = env.memo = {}
        else:
            value = memo.get(token, memo)
            if value is not memo:
                return value
        value = memo[token] = maker(env)
        return value

    return cached
