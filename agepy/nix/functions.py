"""Compile function definitions: ``x: body`` and ``{ a, b ? d, ... }@args: body``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tree_sitter

from agepy.nix.common import Scope, field, located
from agepy.nix.values import Env, Lambda, describe, force

if TYPE_CHECKING:
    from agepy.nix.compile import Compiler

__all__ = ["compile_function"]

Code = Callable[[Env], Any]


def compile_function(compiler: Compiler, node: tree_sitter.Node, scope: Scope | None) -> Code:

    loc = compiler.loc(node)
    universal = node.child_by_field_name("universal")
    at_name = compiler.text(universal) if universal is not None else None
    formals_node = node.child_by_field_name("formals")
    if formals_node is None:
        name = at_name or "_"
        body = compiler.compile(
            field(node, "body"), Scope(frozenset((name,)), scope, function=True)
        )

        def make_plain(env: Env) -> Any:
            def apply(arg: Any) -> Any:
                return body(Env({name: arg}, env))

            return Lambda(apply, None, False, loc)

        return make_plain

    formals: list[tuple[str, tree_sitter.Node | None]] = []
    has_ellipsis = False
    for formal in formals_node.named_children:
        if formal.type == "ellipses":
            has_ellipsis = True
        elif formal.type == "formal":
            formal_name = compiler.text(field(formal, "name"))
            if any(formal_name == seen for seen, _ in formals):
                compiler.error(formal, f"duplicate formal function argument '{formal_name}'")
            formals.append((formal_name, formal.child_by_field_name("default")))
    names = {name for name, _ in formals}
    if at_name is not None:
        if at_name in names:
            compiler.error(node, f"duplicate formal function argument '{at_name}'")
        names.add(at_name)
    inner = Scope(names, scope, function=True)
    defaults = [
        (name, compiler.deferred(default, inner) if default is not None else None)
        for name, default in formals
    ]
    formal_names = frozenset(name for name, _ in formals)
    body = compiler.compile(field(node, "body"), inner)
    has_default = {name: default is not None for name, default in formals}

    def make(env: Env) -> Any:
        def apply(arg: Any) -> Any:
            attrs = force(arg)
            if type(attrs) is not dict:
                raise located(f"value is {describe(attrs)} while a set was expected", loc)
            vals: dict[str, Any] = {}
            new_env = Env(vals, env)
            for name, default in defaults:
                if name in attrs:
                    vals[name] = attrs[name]
                elif default is None:
                    raise located(
                        f"function at {loc[0]}:{loc[1]}:{loc[2]} called without required "
                        f"argument '{name}'",
                        loc,
                    )
                else:
                    vals[name] = default(new_env)
            if not has_ellipsis:
                for given in attrs:
                    if given not in formal_names:
                        raise located(
                            f"function at {loc[0]}:{loc[1]}:{loc[2]} called with unexpected "
                            f"argument '{given}'",
                            loc,
                        )
            if at_name is not None:
                vals[at_name] = arg
            return body(new_env)

        return Lambda(apply, has_default, has_ellipsis, loc)

    return make
