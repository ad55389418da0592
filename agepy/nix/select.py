"""Compile attribute selection ``e.a.b or d`` and the has-attribute test ``e ? a.b``."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tree_sitter

from agepy.nix.common import Scope, field, located
from agepy.nix.values import Env, Location, Thunk, describe, force

if TYPE_CHECKING:
    from agepy.nix.compile import Compiler

__all__ = ["compile_has_attr", "compile_select", "select_one", "static_attr_name"]

Code = Callable[[Env], Any]
_MISSING = object()
_PLAIN_NAME = re.compile(rb'[^\\$\r"]*')


def static_attr_name(compiler: Compiler, attr: tree_sitter.Node) -> str | None:
    """The name of an attrpath component, or None when it is computed at run time."""
    if attr.type == "identifier":
        return compiler.text(attr)
    if attr.type == "interpolation":
        inner = attr.child_by_field_name("expression")
        if inner is None or inner.type != "string_expression":
            return None
        attr = inner
    if attr.type == "string_expression":
        raw = compiler.source[attr.start_byte + 1 : attr.end_byte - 1]
        if _PLAIN_NAME.fullmatch(raw):
            return raw.decode("utf-8", "surrogateescape")  # plain "name": nothing to unescape
        if any(child.type == "interpolation" for child in attr.children):
            return None
        value = getattr(compiler.compile(attr, None), "constant", None)
        return value if isinstance(value, str) else None
    return None


def _attr_codes(
    compiler: Compiler, attrpath: tree_sitter.Node, scope: Scope | None
) -> list[str | Code]:
    out: list[str | Code] = []
    for attr in attrpath.named_children:
        if attr.type == "comment":
            continue
        name = static_attr_name(compiler, attr)
        if name is not None:
            out.append(name)
        else:
            inner = attr.child_by_field_name("expression") if attr.type == "interpolation" else attr
            out.append(compiler.compile(inner, scope))  # type: ignore[arg-type]
    return out


def _name(part: str | Code, env: Env, loc: Location) -> str:

    if type(part) is str:
        return part
    value = part(env)  # type: ignore[operator]
    if type(value) is not str:
        raise located(f"value is {describe(value)} while a string was expected", loc)
    return value


def compile_select(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Code:

    subject = compiler.compile(field(node, "expression"), scope)
    parts = _attr_codes(compiler, field(node, "attrpath"), scope)
    default_node = node.child_by_field_name("default")
    default = compiler.compile(default_node, scope) if default_node is not None else None
    loc = compiler.loc(node)

    if default is None and len(parts) == 1 and type(parts[0]) is str:
        name = str(parts[0])

        def select1(env: Env) -> Any:
            value = subject(env)
            if type(value) is not dict:
                raise located(f"value is {describe(value)} while a set was expected", loc)
            found = value.get(name, _MISSING)
            if found is _MISSING:
                raise located(f"attribute '{name}' missing", loc, hint=_did_you_mean(name, value))
            return found.force() if isinstance(found, Thunk) else found

        return select1

    def select(env: Env) -> Any:
        value = subject(env)
        for part in parts:
            name = _name(part, env, loc)
            if type(value) is not dict:
                if default is not None:
                    return default(env)
                raise located(f"value is {describe(value)} while a set was expected", loc)
            found = value.get(name, _MISSING)
            if found is _MISSING:
                if default is not None:
                    return default(env)
                raise located(f"attribute '{name}' missing", loc, hint=_did_you_mean(name, value))
            value = force(found)
        return value

    return select


def _did_you_mean(name: str, attrs: dict[str, Any]) -> str | None:

    close = difflib.get_close_matches(name, list(attrs), n=3)
    if close:
        return "did you mean " + ", ".join(f"'{c}'" for c in close) + "?"
    return None


def compile_has_attr(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Code:

    subject = compiler.compile(field(node, "expression"), scope)
    parts = _attr_codes(compiler, field(node, "attrpath"), scope)
    loc = compiler.loc(node)

    last = len(parts) - 1

    def has_attr(env: Env) -> Any:
        value = subject(env)
        for index, part in enumerate(parts):
            if type(value) is not dict:
                return False
            found = value.get(_name(part, env, loc), _MISSING)
            if found is _MISSING:
                return False
            if index < last:
                value = force(found)
        return True

    return has_attr


def select_one(source: Any, name: str, loc: Location) -> Code:
    """Code selecting ``name`` from ``source`` (for ``inherit (source) name``)."""

    def select(env: Env) -> Any:
        value = force(source)
        if type(value) is not dict:
            raise located(f"value is {describe(value)} while a set was expected", loc)
        found = value.get(name, _MISSING)
        if found is _MISSING:
            raise located(f"attribute '{name}' missing", loc, hint=_did_you_mean(name, value))
        return force(found)

    return select
