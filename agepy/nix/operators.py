"""Compile unary and binary operators."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tree_sitter

from agepy.nix import value_ops as ops
from agepy.nix.common import Scope, field, from_failure, located
from agepy.nix.values import Env, EvalFailure, Location, describe

if TYPE_CHECKING:
    from agepy.nix.compile import Compiler

__all__ = ["arith", "compile_binary", "compile_unary"]

Code = Callable[[Env], Any]


def _number(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float:
        return value
    raise EvalFailure(f"value is {describe(value)} while an integer was expected")


def arith(operator: str, left: Any, right: Any) -> Any:
    """`-`, `*`, `/` as Nix does them (int unless a float is involved; C division)."""
    left, right = _number(left), _number(right)
    if type(left) is int and type(right) is int:
        if operator == "-":
            return ops.wrap_int(left - right)
        if operator == "*":
            return ops.wrap_int(left * right)
        if right == 0:
            raise EvalFailure("division by zero")
        quotient = abs(left) // abs(right)
        return ops.wrap_int(quotient if (left < 0) == (right < 0) else -quotient)
    left, right = float(left), float(right)
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        raise EvalFailure("division by zero")
    return left / right


def _boolean(value: Any, loc: Location) -> bool:
    if value is True or value is False:
        return value

    raise located(f"value is {describe(value)} while a Boolean was expected", loc)


def compile_unary(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Code:

    operator = compiler.text(field(node, "operator"))
    argument = compiler.compile(field(node, "argument"), scope)
    loc = compiler.loc(node)
    if operator == "!":
        return lambda env: not _boolean(argument(env), loc)

    def negate(env: Env) -> Any:
        try:
            return arith("-", 0, argument(env))
        except EvalFailure as exc:
            raise from_failure(exc, loc) from None

    return negate


def compile_binary(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Code:

    operator = compiler.text(field(node, "operator"))
    left = compiler.compile(field(node, "left"), scope)
    right = compiler.compile(field(node, "right"), scope)
    loc = compiler.loc(node)

    if operator == "&&":
        return lambda env: _boolean(left(env), loc) and _boolean(right(env), loc)
    if operator == "||":
        return lambda env: _boolean(left(env), loc) or _boolean(right(env), loc)
    if operator == "->":
        return lambda env: (not _boolean(left(env), loc)) or _boolean(right(env), loc)
    if operator == "==":
        return lambda env: ops.nix_eq(left(env), right(env))
    if operator == "!=":
        return lambda env: not ops.nix_eq(left(env), right(env))
    if operator == "++":

        def concat(env: Env) -> Any:
            a, b = left(env), right(env)
            if type(a) is not list:
                raise located(f"value is {describe(a)} while a list was expected", loc)
            if type(b) is not list:
                raise located(f"value is {describe(b)} while a list was expected", loc)
            return a + b if b else a

        return concat
    if operator == "//":

        def update(env: Env) -> Any:
            a, b = left(env), right(env)
            if type(a) is not dict:
                raise located(f"value is {describe(a)} while a set was expected", loc)
            if type(b) is not dict:
                raise located(f"value is {describe(b)} while a set was expected", loc)
            if not b:
                return a
            return {**a, **b}

        return update

    function = _binary_function(operator)

    def binary(env: Env) -> Any:
        a = left(env)
        b = right(env)
        try:
            return function(a, b)
        except EvalFailure as exc:
            raise from_failure(exc, loc) from None

    return binary


def _binary_function(operator: str) -> Callable[[Any, Any], Any]:
    if operator == "+":
        return ops.add
    if operator in ("-", "*", "/"):
        return lambda a, b: arith(operator, a, b)
    if operator == "<":
        return ops.compare
    if operator == ">":
        return lambda a, b: ops.compare(b, a)
    if operator == "<=":
        return lambda a, b: not ops.compare(b, a)
    if operator == ">=":
        return lambda a, b: not ops.compare(a, b)
    raise EvalFailure(f"unknown operator {operator}")
